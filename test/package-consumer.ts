// A project that uses node-wsk by name, as a user's would: the checks that every public name
// imports from ES modules, from CommonJS and from strict TypeScript. Shared by
// package-names.test.ts (the working tree, linked into a temporary project) and
// package-install.test.ts (the packed tarball, installed).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

export const ROOT = path.join(__dirname, '..');

/** Runs node in `dir` (the consumer project) and returns what it printed. */
export function runNode(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
}

/** A fresh project whose node_modules/node-wsk is this working tree (a link, as npm link makes). */
export function linkedConsumer(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wsk-consumer-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'node-wsk'), 'dir');
  return dir;
}

/** The entry points of the package (package.json "exports"), by the specifier users import. */
export const ENTRIES = ['node-wsk', 'node-wsk/promises'] as const;
export type Entry = (typeof ENTRIES)[number];

/** A file name stem per entry: 'every-name' for the root, 'every-name-promises' for the other. */
function stem(entry: Entry): string {
  return entry === 'node-wsk' ? 'every-name' : `every-name-${entry.slice('node-wsk/'.length)}`;
}

/** The public names, from the CommonJS module object as the consumer's require sees it. */
export function runtimeNames(dir: string, entry: Entry = 'node-wsk'): string[] {
  return JSON.parse(runNode(dir, ['-e', `console.log(JSON.stringify(Object.keys(require('${entry}'))))`]));
}

/** Writes `name` in `dir` and runs it; the script prints one JSON value, returned parsed. */
function runScript(dir: string, name: string, text: string, nodeArgs: string[] = []): unknown {
  fs.writeFileSync(path.join(dir, name), text);
  return JSON.parse(runNode(dir, [...nodeArgs, name]));
}

/**
 * Imports every name statically from an .mjs file (a missing one is a SyntaxError at link
 * time) and compares each binding with the CommonJS package object: the values that differ.
 */
export function esmMismatches(dir: string, names: string[], entry: Entry = 'node-wsk'): unknown {
  return runScript(
    dir,
    `${stem(entry)}.mjs`,
    [
      "import { createRequire } from 'node:module';",
      `import pkg, { ${names.join(', ')} } from '${entry}';`,
      `const cjs = createRequire(import.meta.url)('${entry}');`,
      `const bindings = { ${names.join(', ')} };`,
      'const differ = Object.keys(cjs).filter((k) => bindings[k] !== cjs[k]);',
      "if (pkg !== cjs) differ.push('default');",
      'console.log(JSON.stringify(differ));',
    ].join('\n'),
  );
}

/**
 * Takes every name from a CommonJS file by package name: what it resolved to, the names it
 * found missing, and whether the package object is still in V8's fast mode (no getters put back).
 */
export function cjsReport(dir: string, names: string[], entry: Entry = 'node-wsk'): unknown {
  return runScript(
    dir,
    `${stem(entry)}.cjs`,
    [
      `const wsk = require('${entry}');`,
      `const { ${names.join(', ')} } = wsk;`,
      `const bindings = { ${names.join(', ')} };`,
      'console.log(JSON.stringify({',
      `  resolved: require('path').relative(require('path').dirname(require.resolve('node-wsk/package.json')), require.resolve('${entry}')),`,
      '  missing: Object.keys(bindings).filter((k) => bindings[k] === undefined),',
      '  getters: Object.keys(wsk).filter((k) => Object.getOwnPropertyDescriptor(wsk, k).get !== undefined),',
      '  fast: %HasFastProperties(wsk),',
      '}));',
    ].join('\n'),
    ['--allow-natives-syntax'],
  );
}

/**
 * What `tsc --init` writes in TypeScript 5.9 (nodenext, strict, verbatimModuleSyntax, ...), except
 * that declaration files are checked: node-wsk's own must be clean under these settings. No
 * @types/node: the package's types must not need it (and checking it would take seconds).
 */
export const STRICT_NODENEXT: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ESNext,
  types: [],
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  strict: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedSideEffectImports: true,
  moduleDetection: ts.ModuleDetectionKind.Force,
  skipLibCheck: false,
  skipDefaultLibCheck: true, // TypeScript's own lib.*.d.ts
};

export interface TypedNames {
  values: string[];
  types: string[];
}

/** What `import ... from entry` declares in `importer`'s module format, by kind. */
function declaredNames(program: ts.Program, importer: string, entry: Entry): TypedNames {
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(findSpecifier(program.getSourceFile(importer)!, entry));
  if (!symbol) throw new Error(`${importer}: '${entry}' resolves to no declarations`);
  const names: TypedNames = { values: [], types: [] };
  for (const s of checker.getExportsOfModule(symbol)) {
    if (s.name === 'default') continue;
    const real = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    (real.flags & ts.SymbolFlags.Value ? names.values : names.types).push(s.name);
  }
  return names;
}

function findSpecifier(source: ts.SourceFile, entry: Entry): ts.StringLiteralLike {
  let found: ts.StringLiteralLike | undefined;
  const visit = (node: ts.Node): void => {
    if (!found && ts.isStringLiteralLike(node) && node.text === entry) found = node;
    else node.forEachChild(visit);
  };
  visit(source);
  return found!;
}

/** Type-checks and emits `files`; throws tsc's messages if there are any. */
function compile(files: string[], options: ts.CompilerOptions, oldProgram?: ts.Program): ts.Program {
  const program = ts.createProgram({ rootNames: files, options, oldProgram });
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(program.emit().diagnostics);
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
    throw new Error(ts.formatDiagnostics(diagnostics.slice(0, 20), host));
  }
  return program;
}

// Without @types/node a file has no console: one declaration for the generated files.
const PRINT = 'declare const console: { log(text: string): void };\n';

/** An importer of each format, to read the names the declarations give it. */
function writeProbes(dir: string, entry: Entry): string[] {
  const esm = path.join(dir, `${stem(entry)}-probe.mts`);
  const cjs = path.join(dir, `${stem(entry)}-probe.cts`);
  fs.writeFileSync(esm, `import * as probe from '${entry}';\nvoid probe;\n`);
  fs.writeFileSync(cjs, `import probe = require('${entry}');\nvoid probe;\n`);
  return [esm, cjs];
}

/** A module of each format that imports every name (types with `type`) and prints the undefined ones. */
function writeEveryName(dir: string, { values, types }: TypedNames, entry: Entry): string[] {
  const check = `const bindings = { ${values.join(', ')} };\nconsole.log(JSON.stringify(Object.keys(bindings).filter((k) => bindings[k as keyof typeof bindings] === undefined)));\n`;
  const typeImport = types.length > 0 ? `import type { ${types.join(', ')} } from '${entry}';\n` : '';
  const first = values[0]!;
  const esm = `import pkg, { ${values.join(', ')} } from '${entry}';\n${typeImport}if (pkg.${first} !== ${first}) throw new Error('default import');\n`;
  const cjs = `import wsk = require('${entry}');\n${typeImport}const { ${values.join(', ')} } = wsk;\n`;
  fs.writeFileSync(path.join(dir, `${stem(entry)}.mts`), PRINT + esm + check);
  fs.writeFileSync(path.join(dir, `${stem(entry)}.cts`), PRINT + cjs + check);
  return [`${stem(entry)}.mts`, `${stem(entry)}.cts`].map((file) => path.join(dir, file));
}

export interface TypeScriptReport {
  /** The names an ES module's import and a CommonJS require are declared to get. */
  esm: TypedNames;
  cjs: TypedNames;
  /** Per compiled module (.mjs, .cjs): the names whose value was undefined at run time. */
  undefinedAtRunTime: unknown[];
}

/**
 * Reads the declared names of `entry` from the declarations, then compiles a .mts and a .cts
 * that import every one of them under `options` and runs both.
 */
export function typescriptEveryName(dir: string, options: ts.CompilerOptions, entry: Entry = 'node-wsk'): TypeScriptReport {
  const probes = writeProbes(dir, entry);
  const probeProgram = ts.createProgram(probes, { ...options, noEmit: true });
  const esm = declaredNames(probeProgram, probes[0]!, entry);
  const cjs = declaredNames(probeProgram, probes[1]!, entry);
  compile(writeEveryName(dir, esm, entry), { ...options, outDir: path.join(dir, 'out') }, probeProgram);
  const undefinedAtRunTime = ['mjs', 'cjs'].map((ext) => JSON.parse(runNode(dir, [path.join('out', `${stem(entry)}.${ext}`)])));
  return { esm, cjs, undefinedAtRunTime };
}
