'use strict';
// Running the guard executable and reading what it prints. Kept apart from the
// VS Code wiring so that tests can swap in a fake runner or a fake executable.
const { execFile } = require('node:child_process');

/**
 * Run `file args...` in `cwd` and collect its output.
 *
 * execFile with an argv list, never a shell string: task commands come from the
 * repository, and a shell would let `$(...)` or `;` in them run outside the sandbox.
 *
 * Resolves with {code, stdout, stderr} whenever the program ran, whatever its exit
 * status; rejects when it could not be started (missing binary, not executable).
 */
function execGuard(file, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      if (typeof err.code === 'number') return resolve({ code: err.code, stdout, stderr });
      if (err.code === 'ENOENT') {
        return reject(new Error(`the guard executable "${file}" was not found; install guard or set "guard.path"`));
      }
      reject(new Error(`could not run "${file}": ${err.message}`));
    });
  });
}

function isArgv(value) {
  return Array.isArray(value) && value.length > 0 && value.every((part) => typeof part === 'string');
}

/**
 * Parse the output of `guard editor vscode --list-json`: a JSON array of
 * {"label": str, "command": [argv...]}. Throws on anything else, so a broken
 * guard shows an error instead of an empty task list.
 */
function parseTaskList(stdout) {
  let data;
  try {
    data = JSON.parse(stdout);
  } catch (err) {
    throw new Error(`"guard editor vscode --list-json" printed invalid JSON (${err.message})`);
  }
  if (!Array.isArray(data)) {
    throw new Error('"guard editor vscode --list-json" must print a JSON array');
  }
  return data.map((entry, i) => {
    if (entry === null || typeof entry.label !== 'string' || !isArgv(entry.command)) {
      throw new Error(`entry ${i} of "guard editor vscode --list-json" needs "label" (string) and "command" (non-empty list of strings)`);
    }
    return { label: entry.label, command: entry.command };
  });
}

module.exports = { execGuard, isArgv, parseTaskList };
