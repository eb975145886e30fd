'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { activate, EXTENSION_DIR } = require('./harness');

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8'));

test('activation registers exactly what package.json contributes', () => {
  const { state, context } = activate({ run: async () => ({ code: 0, stdout: '[]', stderr: '' }) });
  assert.deepEqual([...state.commands.keys()].sort(), manifest.contributes.commands.map((c) => c.command).sort());
  assert.deepEqual([...state.taskProviders.keys()], manifest.contributes.taskDefinitions.map((d) => d.type));
  assert.deepEqual([...state.profileProviders.keys()], manifest.contributes.terminal.profiles.map((p) => p.id));
  // Everything registered is disposed with the extension.
  for (const disposable of context.subscriptions) disposable.dispose();
  assert.equal(state.commands.size + state.taskProviders.size + state.profileProviders.size, 0);
});
