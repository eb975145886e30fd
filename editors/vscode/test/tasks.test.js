'use strict';
// The task provider, with an injected runner standing in for the guard process.
const test = require('node:test');
const assert = require('node:assert/strict');
const { activate } = require('./harness');

function fakeRun(answer) {
  const calls = [];
  const run = async (file, args, cwd) => {
    calls.push({ file, args, cwd });
    return typeof answer === 'function' ? answer(file, args, cwd) : answer;
  };
  return { run, calls };
}

const LISTED = [
  { label: 'tests', command: ['pytest', '-q'] },
  { label: 'odd args', command: ['sh', '-c', 'echo "$0"', 'a b; rm -rf ~'] },
];

test('each task guard lists runs as `guard run -- argv` in its folder', async () => {
  const { run, calls } = fakeRun({ code: 0, stdout: JSON.stringify(LISTED), stderr: '' });
  const { vscode, state } = activate({ run, folders: ['/work/repo'] });
  const tasks = await state.taskProviders.get('guard').provideTasks();

  assert.deepEqual(calls, [{ file: 'guard', args: ['editor', 'vscode', '--list-json'], cwd: '/work/repo' }]);
  assert.equal(tasks.length, 2);
  const [first, second] = tasks;
  assert.ok(first instanceof vscode.Task);
  assert.deepEqual(first.definition, { type: 'guard', command: ['pytest', '-q'], label: 'tests' });
  assert.equal(first.name, 'tests');
  assert.equal(first.source, 'guard');
  assert.equal(first.scope, vscode.workspace.workspaceFolders[0]);
  assert.ok(first.execution instanceof vscode.ProcessExecution);
  assert.equal(first.execution.process, 'guard');
  assert.deepEqual(first.execution.args, ['run', '--', 'pytest', '-q']);
  assert.deepEqual(first.execution.options, { cwd: '/work/repo' });
  // Arguments stay separate argv entries: nothing is joined into a shell string.
  assert.deepEqual(second.execution.args, ['run', '--', 'sh', '-c', 'echo "$0"', 'a b; rm -rf ~']);
  assert.deepEqual(state.errorMessages, []);
});

test('the guard.path setting chooses the executable', async () => {
  const { run, calls } = fakeRun({ code: 0, stdout: JSON.stringify(LISTED), stderr: '' });
  const { state } = activate({ run, folders: ['/w'], settings: { 'guard.path': '/opt/guard/bin/guard' } });
  const [task] = await state.taskProviders.get('guard').provideTasks();
  assert.equal(calls[0].file, '/opt/guard/bin/guard');
  assert.equal(task.execution.process, '/opt/guard/bin/guard');
});

test('every workspace folder gets its own tasks, scoped to it', async () => {
  const { run, calls } = fakeRun((file, args, cwd) => ({
    code: 0, stdout: JSON.stringify([{ label: `t ${cwd}`, command: ['make'] }]), stderr: '',
  }));
  const { vscode, state } = activate({ run, folders: ['/a', '/b'] });
  const tasks = await state.taskProviders.get('guard').provideTasks();
  assert.deepEqual(calls.map((c) => c.cwd), ['/a', '/b']);
  assert.deepEqual(tasks.map((t) => t.scope), vscode.workspace.workspaceFolders);
  assert.deepEqual(tasks.map((t) => t.name), ['t /a', 't /b']);
});

test('no folder open: no tasks, guard not run', async () => {
  const { run, calls } = fakeRun({ code: 0, stdout: '[]', stderr: '' });
  const { state } = activate({ run });
  assert.deepEqual(await state.taskProviders.get('guard').provideTasks(), []);
  assert.deepEqual(calls, []);
});

for (const [what, answer, expected] of [
  ['invalid JSON', { code: 0, stdout: 'Traceback (most recent call last):', stderr: '' }, /invalid JSON/],
  ['a JSON object instead of an array', { code: 0, stdout: '{"label": "x"}', stderr: '' }, /JSON array/],
  ['an entry with a string command', { code: 0, stdout: '[{"label": "x", "command": "rm -rf /"}]', stderr: '' }, /entry 0/],
  ['an entry with an empty command', { code: 0, stdout: '[{"label": "x", "command": []}]', stderr: '' }, /entry 0/],
  ['a non-zero exit', { code: 2, stdout: '', stderr: 'sandbox.toml:3:1: unknown key\n' }, /status 2: sandbox\.toml:3:1: unknown key/],
]) {
  test(`${what} gives no tasks and one error message`, async () => {
    const { run } = fakeRun(answer);
    const { state } = activate({ run, folders: ['/w'] });
    assert.deepEqual(await state.taskProviders.get('guard').provideTasks(), []);
    assert.equal(state.errorMessages.length, 1);
    assert.match(state.errorMessages[0], expected);
  });
}

test('a guard that cannot start gives no tasks and a single error for all folders', async () => {
  const run = async () => { throw new Error('the guard executable "guard" was not found'); };
  const { state } = activate({ run, folders: ['/a', '/b'] });
  assert.deepEqual(await state.taskProviders.get('guard').provideTasks(), []);
  assert.equal(state.errorMessages.length, 1);
  assert.match(state.errorMessages[0], /a: the guard executable "guard" was not found; b: /);
});

test('resolveTask turns a tasks.json entry into a guarded process, same definition object', () => {
  const { run } = fakeRun({ code: 0, stdout: '[]', stderr: '' });
  const { vscode, state } = activate({ run, folders: ['/w'] });
  const provider = state.taskProviders.get('guard');
  const definition = { type: 'guard', command: ['npm', 'test'], label: 'unit' };
  const folder = vscode.workspace.workspaceFolders[0];
  const resolved = provider.resolveTask(new vscode.Task(definition, folder, 'unit', 'Workspace'));

  assert.equal(resolved.definition, definition);
  assert.equal(resolved.scope, folder);
  assert.equal(resolved.name, 'unit');
  assert.equal(resolved.execution.process, 'guard');
  assert.deepEqual(resolved.execution.args, ['run', '--', 'npm', 'test']);
  assert.deepEqual(resolved.execution.options, { cwd: '/w' });
});

test('resolveTask leaves a definition without an argv command unresolved', () => {
  const { run } = fakeRun({ code: 0, stdout: '[]', stderr: '' });
  const { vscode, state } = activate({ run, folders: ['/w'] });
  const provider = state.taskProviders.get('guard');
  for (const command of [undefined, 'make test', [], [1, 2]]) {
    const task = new vscode.Task({ type: 'guard', command }, vscode.TaskScope.Workspace, 'x', 'Workspace');
    assert.equal(provider.resolveTask(task), undefined, `command ${JSON.stringify(command)}`);
  }
});
