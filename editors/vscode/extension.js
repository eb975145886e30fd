'use strict';
// Entry point (package.json "main"). Wires guard into VS Code: a task type, a command
// that shows the effective policy, and a terminal profile whose shell runs in the sandbox.
const vscode = require('vscode');
const { execGuard } = require('./lib/guard-cli');
const { GuardTaskProvider, TASK_TYPE } = require('./lib/tasks');

const PROFILE_ID = 'guard.guardedShell';
const PROFILE_NAME = 'guarded shell';

function guardPath() {
  return vscode.workspace.getConfiguration('guard').get('path', 'guard');
}

function guardedShellOptions() {
  const folder = (vscode.workspace.workspaceFolders ?? [])[0];
  return {
    name: PROFILE_NAME,
    shellPath: guardPath(),
    shellArgs: ['run', '--', process.env.SHELL || '/bin/sh'],
    cwd: folder ? folder.uri : undefined,
  };
}

async function pickFolder() {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    vscode.window.showErrorMessage('Guard: open a folder first; the policy comes from its sandbox.toml.');
    return undefined;
  }
  return folders.length === 1 ? folders[0] : vscode.window.showWorkspaceFolderPick();
}

/**
 * @param context VS Code's ExtensionContext
 * @param run     how guard is started; tests pass a fake, VS Code never passes this
 */
function activate(context, run = execGuard) {
  const output = vscode.window.createOutputChannel('Guard');

  async function explain() {
    const folder = await pickFolder();
    if (!folder) return;
    let result;
    try {
      result = await run(guardPath(), ['explain'], folder.uri.fsPath);
    } catch (err) {
      vscode.window.showErrorMessage(`Guard: ${err.message}`);
      return;
    }
    output.clear();
    output.append(result.stdout);
    if (result.stderr) output.append(result.stderr);
    output.show(true);
    if (result.code !== 0) {
      vscode.window.showErrorMessage(`Guard: "guard explain" exited with status ${result.code}; see the Guard output.`);
    }
  }

  function openGuardedTerminal() {
    vscode.window.createTerminal(guardedShellOptions()).show();
  }

  context.subscriptions.push(
    output,
    vscode.tasks.registerTaskProvider(TASK_TYPE, new GuardTaskProvider(run, guardPath)),
    vscode.commands.registerCommand('guard.explain', explain),
    vscode.commands.registerCommand('guard.openGuardedTerminal', openGuardedTerminal),
    vscode.window.registerTerminalProfileProvider(PROFILE_ID, {
      provideTerminalProfile: () => new vscode.TerminalProfile(guardedShellOptions()),
    }),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
