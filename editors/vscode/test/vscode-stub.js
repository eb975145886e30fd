'use strict';
// A stand-in for the `vscode` module, limited to the API surface the extension uses.
// Constructors reject the same arguments VS Code's own types reject (extHostTypes.ts),
// so a test cannot pass on input the real editor would throw on.
// Each fresh load (see harness.js) starts with empty state; tests read `__test`.

const state = {
  settings: {},            // 'section.key' -> value, as the user's settings.json would hold it
  errorMessages: [],
  outputChannels: [],
  terminals: [],
  commands: new Map(),     // id -> handler
  taskProviders: new Map(),
  profileProviders: new Map(),
  folderPick: undefined,   // what showWorkspaceFolderPick resolves to
};

function illegalArgument(name) {
  return new Error(`Illegal argument: ${name}`);
}

class Disposable {
  constructor(callOnDispose) {
    this._callOnDispose = callOnDispose;
  }
  dispose() {
    if (this._callOnDispose) this._callOnDispose();
    this._callOnDispose = undefined;
  }
}

const Uri = {
  file(fsPath) {
    return { scheme: 'file', fsPath, path: fsPath, toString: () => `file://${fsPath}` };
  },
};

const TaskScope = Object.freeze({ Global: 1, Workspace: 2 });

class ProcessExecution {
  constructor(process, argsOrOptions, options) {
    if (typeof process !== 'string') throw illegalArgument('process');
    this.process = process;
    this.args = Array.isArray(argsOrOptions) ? argsOrOptions : [];
    this.options = Array.isArray(argsOrOptions) ? options : argsOrOptions;
  }
}

class Task {
  constructor(definition, scope, name, source, execution, problemMatchers) {
    if (definition === undefined || definition === null) throw illegalArgument("Kind can't be undefined or null");
    if (typeof scope === 'string') throw new Error('stand-in: the deprecated Task constructor without scope is not used');
    if (typeof name !== 'string') throw illegalArgument('name');
    if (typeof source !== 'string' || source.length === 0) throw illegalArgument('source must be a string of length > 0');
    this.definition = definition;
    this.scope = scope;
    this.name = name;
    this.source = source;
    this.execution = execution === null ? undefined : execution;
    this.problemMatchers = typeof problemMatchers === 'string' ? [problemMatchers] : problemMatchers || [];
  }
}

class TerminalProfile {
  constructor(options) {
    if (typeof options !== 'object') throw illegalArgument('options');
    this.options = options;
  }
}

function registry(map, kind) {
  return (id, value) => {
    if (map.has(id)) throw new Error(`${kind} '${id}' already exists`);
    map.set(id, value);
    return new Disposable(() => map.delete(id));
  };
}

const window = {
  createOutputChannel(name) {
    const channel = {
      name,
      text: '',
      shown: false,
      append(value) { channel.text += value; },
      appendLine(value) { channel.text += `${value}\n`; },
      replace(value) { channel.text = value; },
      clear() { channel.text = ''; },
      show() { channel.shown = true; },
      hide() { channel.shown = false; },
      dispose() {},
    };
    state.outputChannels.push(channel);
    return channel;
  },
  showErrorMessage(message) {
    state.errorMessages.push(message);
    return Promise.resolve(undefined);
  },
  showWorkspaceFolderPick() {
    return Promise.resolve(state.folderPick);
  },
  createTerminal(options) {
    const terminal = { name: options.name, creationOptions: options, shown: false, show() { terminal.shown = true; }, dispose() {} };
    state.terminals.push(terminal);
    return terminal;
  },
  registerTerminalProfileProvider: registry(state.profileProviders, 'terminal profile provider'),
};

const commands = {
  registerCommand: registry(state.commands, 'command'),
  executeCommand(id, ...args) {
    const handler = state.commands.get(id);
    if (!handler) return Promise.reject(new Error(`command '${id}' not found`));
    return Promise.resolve(handler(...args));
  },
};

const tasks = {
  registerTaskProvider: registry(state.taskProviders, 'task provider for type'),
};

const workspace = {
  workspaceFolders: undefined,   // VS Code's value when no folder is open
  getConfiguration(section) {
    return {
      get(key, defaultValue) {
        const full = section ? `${section}.${key}` : key;
        return full in state.settings ? state.settings[full] : defaultValue;
      },
    };
  },
};

module.exports = {
  Disposable, ProcessExecution, Task, TaskScope, TerminalProfile, Uri,
  commands, tasks, window, workspace,
  __test: state,
};

// node --test runs every file under test/, this one too: check here that the
// stand-in refuses what VS Code refuses, so a lax stand-in cannot hide a bug.
if (require.main === module) {
  const test = require('node:test');
  const assert = require('node:assert/strict');
  test('stand-in Task refuses what VS Code refuses', () => {
    const exec = new ProcessExecution('guard', ['run']);
    assert.throws(() => new Task(null, TaskScope.Workspace, 'n', 's', exec));
    assert.throws(() => new Task({ type: 'guard' }, TaskScope.Workspace, undefined, 's', exec));
    assert.throws(() => new Task({ type: 'guard' }, TaskScope.Workspace, 'n', '', exec));
    assert.throws(() => new ProcessExecution(['guard']));
    assert.throws(() => commands.registerCommand('x', () => {}) && commands.registerCommand('x', () => {}));
  });
}
