'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { activate } = require('./harness');

const noRun = async () => { throw new Error('guard must not be run for a terminal'); };

test('the guarded shell profile runs $SHELL under `guard run --` in the workspace', (t) => {
  const shell = process.env.SHELL;
  t.after(() => { if (shell === undefined) delete process.env.SHELL; else process.env.SHELL = shell; });
  process.env.SHELL = '/usr/bin/zsh';
  const { vscode, state } = activate({ run: noRun, folders: ['/w'], settings: { 'guard.path': '/opt/guard' } });
  const profile = state.profileProviders.get('guard.guardedShell').provideTerminalProfile();
  assert.ok(profile instanceof vscode.TerminalProfile);
  assert.equal(profile.options.shellPath, '/opt/guard');
  assert.deepEqual(profile.options.shellArgs, ['run', '--', '/usr/bin/zsh']);
  assert.equal(profile.options.cwd, vscode.workspace.workspaceFolders[0].uri);
});

test('guard.openGuardedTerminal opens and shows the same guarded shell', async () => {
  const { state } = activate({ run: noRun, folders: ['/w'] });
  await state.commands.get('guard.openGuardedTerminal')();
  assert.equal(state.terminals.length, 1);
  const [terminal] = state.terminals;
  assert.ok(terminal.shown);
  assert.equal(terminal.creationOptions.shellPath, 'guard');
  assert.deepEqual(terminal.creationOptions.shellArgs.slice(0, 2), ['run', '--']);
});
