'use strict';
// Validates package.json against what VS Code (and vsce) require of an extension
// manifest, and cross-checks it with the code: a command or setting that only one
// side knows about is dead in the editor.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { EXTENSION_DIR } = require('./harness');

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8'));
const contributes = manifest.contributes || {};

// semver.org's regular expression for a version.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** The extension's own JavaScript (not the tests), concatenated. */
function extensionSource() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'test' && entry.name !== 'node_modules') walk(full);
      else if (entry.isFile() && entry.name.endsWith('.js')) files.push(full);
    }
  };
  walk(EXTENSION_DIR);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

function matches(source, regex) {
  return [...source.matchAll(regex)].map((m) => m[1]);
}

test('manifest has the fields VS Code requires', () => {
  assert.match(manifest.name, /^[a-z0-9][a-z0-9._-]*$/, 'name: lowercase, no spaces');
  assert.equal(typeof manifest.publisher, 'string');
  assert.ok(manifest.publisher.length > 0, 'publisher');
  assert.match(manifest.version, SEMVER, 'version must be semver');
  assert.match(manifest.engines?.vscode ?? '', /^\^?\d+\.\d+\.\d+$/, 'engines.vscode like ^1.75.0');
  assert.ok(Array.isArray(manifest.activationEvents), 'activationEvents');
});

test('the main file exists', () => {
  const main = path.resolve(EXTENSION_DIR, manifest.main);
  assert.ok(fs.existsSync(main) || fs.existsSync(`${main}.js`), `${manifest.main} is missing`);
});

test('no runtime dependencies, since nothing builds or bundles them', () => {
  assert.deepEqual(Object.keys(manifest.dependencies || {}), []);
});

test('every contribution has an activation event and no event is stale', () => {
  const expected = [
    ...contributes.commands.map((c) => `onCommand:${c.command}`),
    ...contributes.taskDefinitions.map((d) => `onTaskType:${d.type}`),
    ...contributes.terminal.profiles.map((p) => `onTerminalProfile:${p.id}`),
  ];
  assert.deepEqual([...manifest.activationEvents].sort(), expected.sort());
});

test('commands have a title and are the ones the code registers', () => {
  for (const command of contributes.commands) {
    assert.equal(typeof command.title, 'string', `${command.command} needs a title`);
  }
  const source = extensionSource();
  const used = new Set([
    ...matches(source, /registerCommand\(\s*['"]([^'"]+)['"]/g),
    ...matches(source, /executeCommand\(\s*['"](guard\.[^'"]+)['"]/g),
  ]);
  const contributed = new Set(contributes.commands.map((c) => c.command));
  assert.deepEqual([...used].sort(), [...contributed].sort());
});

test('task definitions have a type and their required properties exist', () => {
  assert.ok(contributes.taskDefinitions.length > 0);
  for (const definition of contributes.taskDefinitions) {
    assert.equal(typeof definition.type, 'string');
    for (const name of definition.required || []) {
      assert.ok(name in definition.properties, `required property ${name} is not declared`);
    }
  }
  const guard = contributes.taskDefinitions.find((d) => d.type === 'guard');
  assert.deepEqual(guard.required, ['command']);
  assert.equal(guard.properties.command.type, 'array');
  assert.equal(guard.properties.command.items.type, 'string');
  assert.equal(guard.properties.label.type, 'string');
});

test('terminal profiles have an id and a title, and the code registers them', () => {
  const source = extensionSource();
  for (const profile of contributes.terminal.profiles) {
    assert.equal(typeof profile.id, 'string');
    assert.equal(typeof profile.title, 'string');
    assert.ok(source.includes(`'${profile.id}'`), `${profile.id} is not registered in code`);
  }
});

test('every setting the code reads is declared, with a default', () => {
  const properties = contributes.configuration.properties;
  const source = extensionSource();
  const read = matches(source, /getConfiguration\(\s*'guard'\s*\)\.get\(\s*'([^']+)'/g);
  assert.ok(read.length > 0);
  for (const key of read) {
    assert.ok(`guard.${key}` in properties, `guard.${key} is read but not declared`);
  }
  assert.equal(properties['guard.path'].default, 'guard');
  // A workspace's own .vscode/settings.json must not choose which program runs as guard.
  assert.equal(properties['guard.path'].scope, 'machine');
});
