'use strict';
// The real execFile path, against a fake `guard` shell script written per test.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { activate, loadExtension, tempDir, writeFakeGuard } = require('./harness');

function execGuard() {
  loadExtension();
  return require('../lib/guard-cli').execGuard;
}

test('execGuard passes argv verbatim, with no shell in between', async (t) => {
  const dir = tempDir(t);
  const guard = writeFakeGuard(dir, 'exit 0');
  const args = ['run', '--', 'echo', '$(touch pwned)', 'a b', ';', '`id`'];
  const result = await execGuard()(guard.path, args, dir);
  assert.equal(result.code, 0);
  assert.deepEqual(guard.argv(), args);
  assert.equal(guard.cwd(), fs.realpathSync(dir));
  assert.ok(!fs.existsSync(path.join(dir, 'pwned')), 'a shell ran the argument');
});

test('execGuard reports a non-zero exit with its output instead of throwing', async (t) => {
  const dir = tempDir(t);
  const guard = writeFakeGuard(dir, 'echo out; echo "sandbox.toml:1:1: bad" >&2; exit 2');
  assert.deepEqual(await execGuard()(guard.path, ['explain'], dir), {
    code: 2, stdout: 'out\n', stderr: 'sandbox.toml:1:1: bad\n',
  });
});

test('execGuard rejects with a hint when the executable is missing', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(execGuard()(path.join(dir, 'no-such-guard'), ['explain'], dir), /was not found.*guard\.path/);
});

test('tasks come from the guard executable named by guard.path', async (t) => {
  const dir = tempDir(t);
  const guard = writeFakeGuard(dir, `echo '[{"label": "lint", "command": ["ruff", "check", "."]}]'`);
  const { state } = activate({ folders: [dir], settings: { 'guard.path': guard.path } });
  const tasks = await state.taskProviders.get('guard').provideTasks();
  assert.deepEqual(guard.argv(), ['editor', 'vscode', '--list-json']);
  assert.equal(guard.cwd(), fs.realpathSync(dir));
  assert.deepEqual(tasks.map((task) => [task.name, task.execution.process, task.execution.args]), [
    ['lint', guard.path, ['run', '--', 'ruff', 'check', '.']],
  ]);
  assert.deepEqual(state.errorMessages, []);
});

test('a missing guard executable shows one error and no tasks', async (t) => {
  const dir = tempDir(t);
  const { state } = activate({ folders: [dir], settings: { 'guard.path': path.join(dir, 'missing') } });
  assert.deepEqual(await state.taskProviders.get('guard').provideTasks(), []);
  assert.equal(state.errorMessages.length, 1);
  assert.match(state.errorMessages[0], /was not found/);
});

test('guard.explain shows the output of `guard explain` run in the folder', async (t) => {
  const dir = tempDir(t);
  const guard = writeFakeGuard(dir, 'echo "filesystem.allow_write ~/.cache/pip  (user)"; echo "not enforceable: landlock" >&2');
  const { state } = activate({ folders: [dir], settings: { 'guard.path': guard.path } });
  await state.commands.get('guard.explain')();
  assert.deepEqual(guard.argv(), ['explain']);
  assert.equal(guard.cwd(), fs.realpathSync(dir));
  const [channel] = state.outputChannels;
  assert.equal(channel.name, 'Guard');
  assert.equal(channel.text, 'filesystem.allow_write ~/.cache/pip  (user)\nnot enforceable: landlock\n');
  assert.ok(channel.shown);
  assert.deepEqual(state.errorMessages, []);
});

test('guard.explain failing still shows its output, and says it failed', async (t) => {
  const dir = tempDir(t);
  const guard = writeFakeGuard(dir, 'echo "sandbox.toml:4:9: unknown key" >&2; exit 2');
  const { state } = activate({ folders: [dir], settings: { 'guard.path': guard.path } });
  await state.commands.get('guard.explain')();
  assert.equal(state.outputChannels[0].text, 'sandbox.toml:4:9: unknown key\n');
  assert.equal(state.errorMessages.length, 1);
  assert.match(state.errorMessages[0], /exited with status 2/);
});

test('guard.explain asks which folder in a multi-root workspace', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const guard = writeFakeGuard(a, 'echo ok');
  const { vscode, state } = activate({ folders: [a, b], settings: { 'guard.path': guard.path } });
  state.folderPick = vscode.workspace.workspaceFolders[1];
  await state.commands.get('guard.explain')();
  assert.equal(guard.cwd(), fs.realpathSync(b));
});

test('guard.explain with no folder open says so instead of running guard', async () => {
  const { state } = activate({ run: async () => assert.fail('guard ran') });
  await state.commands.get('guard.explain')();
  assert.equal(state.errorMessages.length, 1);
  assert.match(state.errorMessages[0], /open a folder/);
});
