'use strict';
// Test harness: makes `require('vscode')` load the stand-in, loads the extension
// fresh for each test, and writes fake `guard` executables.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');

const EXTENSION_DIR = path.resolve(__dirname, '..');
const STUB = path.join(__dirname, 'vscode-stub.js');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? STUB : resolveFilename.call(this, request, ...rest);
};

/** Load the stand-in and every extension module anew, so tests share no state. */
function loadExtension() {
  for (const file of Object.keys(require.cache)) {
    const ours = file.startsWith(EXTENSION_DIR + path.sep) && !file.startsWith(__dirname + path.sep);
    if (ours || file === STUB) delete require.cache[file];
  }
  const vscode = require('vscode');
  const extension = require(path.join(EXTENSION_DIR, 'extension.js'));
  return { vscode, extension };
}

function folder(vscode, fsPath, index = 0) {
  return { uri: vscode.Uri.file(fsPath), name: path.basename(fsPath), index };
}

/**
 * Activate the extension against a fresh stand-in.
 * run: the guard runner to inject (omit to use the real execFile path).
 */
function activate({ run, folders = [], settings = {} } = {}) {
  const { vscode, extension } = loadExtension();
  vscode.workspace.workspaceFolders = folders.length ? folders.map((p, i) => folder(vscode, p, i)) : undefined;
  Object.assign(vscode.__test.settings, settings);
  const context = { subscriptions: [] };
  if (run) extension.activate(context, run);
  else extension.activate(context);
  return { vscode, extension, context, state: vscode.__test };
}

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-vscode-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Write an executable shell script standing in for guard. It records its argv (one
 * per line) and working directory next to itself, then runs `body`.
 */
function writeFakeGuard(dir, body) {
  const file = path.join(dir, 'guard');
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$PWD" > '${file}.cwd'`,
    `for arg in "$@"; do printf '%s\\n' "$arg"; done > '${file}.argv'`,
    body,
    '',
  ].join('\n');
  fs.writeFileSync(file, script, { mode: 0o755 });
  return {
    path: file,
    argv: () => fs.readFileSync(`${file}.argv`, 'utf8').split('\n').slice(0, -1),
    cwd: () => fs.readFileSync(`${file}.cwd`, 'utf8').trim(),
  };
}

module.exports = { activate, folder, loadExtension, tempDir, writeFakeGuard, EXTENSION_DIR };

// node --test runs every file under test/, this one too: check the hook itself.
if (require.main === module) {
  const test = require('node:test');
  const assert = require('node:assert/strict');
  test('require("vscode") loads the stand-in, fresh on each load', () => {
    const first = loadExtension().vscode;
    first.__test.errorMessages.push('x');
    const second = loadExtension().vscode;
    assert.equal(typeof second.Task, 'function');
    assert.deepEqual(second.__test.errorMessages, []);
  });
}
