// Lets a plain node process (no jest) load lib/ and a scenario written in TypeScript: each .ts
// file is transpiled as it is required, without type checking (jest type-checks the same files).
// Used by tests that need what jest cannot give them: an uncaught exception on the event loop,
// a process exit, a network namespace.
//
// Transpiling lib/ costs about a second of CPU, once per content: the output is cached under
// node_modules/.cache, so that each test's child process starts in about 0.1 s.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const cacheDir = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'node-wsk-ts');
const compilerOptions = { module: 'commonjs', target: 'es2022', esModuleInterop: true };
let ts = null;

function transpile(source, filename) {
  const key = crypto.createHash('sha256').update(JSON.stringify(compilerOptions)).update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  ts ??= require('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(compilerOptions, '.');
  const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
  // Written aside and renamed: test files run in parallel and may transpile the same file.
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, outputText);
  fs.renameSync(tmp, cached);
  return outputText;
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};

// The package's own name, as jest's moduleNameMapper has it: the examples import 'node-wsk',
// and a scenario that imports lib/ must meet the same module instances (a KEVENT made by one
// copy of lib is not a KEVENT to another).
const Module = require('module');
const root = path.join(__dirname, '..', '..');
const selfNames = {
  'node-wsk': path.join(root, 'lib', 'index.ts'),
  'node-wsk/promises': path.join(root, 'lib', 'promises', 'index.ts'),
};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, selfNames[request] ?? request, ...rest);
};
