'use strict';
// The `guard` task type: tasks listed by guard itself, and tasks the user wrote in
// tasks.json as {"type": "guard", "command": [...]}, both run as `guard run -- ...`.
const vscode = require('vscode');
const { isArgv, parseTaskList } = require('./guard-cli');

const TASK_TYPE = 'guard';
const LIST_ARGS = ['editor', 'vscode', '--list-json'];

class GuardTaskProvider {
  /**
   * @param run       (file, args, cwd) => Promise<{code, stdout, stderr}>
   * @param guardPath () => string, read on every call so a settings change applies at once
   */
  constructor(run, guardPath) {
    this.run = run;
    this.guardPath = guardPath;
  }

  async provideTasks() {
    const tasks = [];
    const failures = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        const result = await this.run(this.guardPath(), LIST_ARGS, folder.uri.fsPath);
        if (result.code !== 0) {
          throw new Error(`"guard ${LIST_ARGS.join(' ')}" exited with status ${result.code}: ${result.stderr.trim()}`);
        }
        for (const entry of parseTaskList(result.stdout)) {
          const definition = { type: TASK_TYPE, command: entry.command, label: entry.label };
          tasks.push(this.toTask(definition, folder, entry.label));
        }
      } catch (err) {
        failures.push(`${folder.name}: ${err.message}`);
      }
    }
    // One message for the whole listing: an empty task list alone would hide the
    // fact that guard is missing or broken.
    if (failures.length > 0) {
      vscode.window.showErrorMessage(`Guard could not list tasks. ${failures.join('; ')}`);
    }
    return tasks;
  }

  resolveTask(task) {
    const definition = task.definition;
    if (!isArgv(definition.command)) return undefined;
    // VS Code requires the resolved task to carry the very definition object it was given.
    return this.toTask(definition, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }

  toTask(definition, scope, name) {
    const cwd = scope && scope.uri ? scope.uri.fsPath : undefined;
    const execution = new vscode.ProcessExecution(
      this.guardPath(),
      ['run', '--', ...definition.command],
      cwd === undefined ? undefined : { cwd },
    );
    return new vscode.Task(definition, scope, name || definition.label || definition.command.join(' '), TASK_TYPE, execution);
  }
}

module.exports = { GuardTaskProvider, TASK_TYPE };
