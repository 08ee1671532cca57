// Every public name by package name, from ES modules, CommonJS and strict TypeScript, with the
// working tree linked into a fresh project (package-install.test.ts does the same with the
// packed tarball), for both entry points: 'node-wsk' and 'node-wsk/promises'. The package is
// what npm run build:ts left in dist/.
import * as fs from 'fs';
import * as path from 'path';
import * as wsk from '../lib';
import * as promises from '../lib/promises';
import {
  STRICT_NODENEXT,
  TypeScriptReport,
  cjsReport,
  esmMismatches,
  linkedConsumer,
  runNode,
  runtimeNames,
  typescriptEveryName,
} from './package-consumer';

const sorted = (xs: string[]) => [...xs].sort();

describe('the package by name (working tree, linked)', () => {
  let dir: string;
  let names: string[];

  beforeAll(() => {
    dir = linkedConsumer();
    names = runtimeNames(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('dist/ has the names of lib/ (else: npm run build:ts)', () => {
    expect(names.length).toBeGreaterThan(300);
    expect(sorted(names)).toEqual(sorted(Object.keys(wsk)));
  });

  test('an .mjs file imports every name, each the same value as CommonJS sees, and the package object as default', () => {
    expect(esmMismatches(dir, names)).toEqual([]);
  });

  test('a CommonJS file requires every name; the package object has no getters and is in V8 fast mode', () => {
    expect(cjsReport(dir, names)).toEqual({ resolved: path.join('dist', 'lib', 'index.js'), missing: [], getters: [], fast: true });
  });

  describe('TypeScript, as tsc --init sets it up (nodenext, verbatimModuleSyntax, strict), declarations checked', () => {
    let report: TypeScriptReport;
    beforeAll(() => {
      report = typescriptEveryName(dir, STRICT_NODENEXT);
    });

    test('the declarations give ES and CommonJS importers exactly the runtime names as values', () => {
      expect(sorted(report.esm.values)).toEqual(sorted(names));
      expect(sorted(report.cjs.values)).toEqual(sorted(names));
      expect(sorted(report.esm.types)).toEqual(sorted(report.cjs.types));
      expect(report.esm.types).toEqual(expect.arrayContaining(['WSK_REGISTRATION', 'PWSK_SOCKET', 'SOCKADDR_STORAGE']));
    });

    test('a .mts and a .cts importing every name compile, and run with every value defined', () => {
      expect(report.undefinedAtRunTime).toEqual([[], []]);
    });
  });
});

describe('node-wsk/promises by name (working tree, linked)', () => {
  const entry = 'node-wsk/promises';
  let dir: string;
  let names: string[];

  beforeAll(() => {
    dir = linkedConsumer();
    names = runtimeNames(dir, entry);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('dist/ has the names of lib/promises (else: npm run build:ts)', () => {
    expect(sorted(names)).toEqual(sorted(Object.keys(promises)));
    expect(names).toEqual(expect.arrayContaining(['wskCall', 'IrpPool', 'NtStatusError', 'ReceiveEvents', 'ReceiveFromEvents']));
  });

  test('an .mjs file imports every name, each the same value as CommonJS sees', () => {
    expect(esmMismatches(dir, names, entry)).toEqual([]);
  });

  test('a CommonJS file requires every name from dist/lib/promises; plain data properties, fast mode', () => {
    expect(cjsReport(dir, names, entry)).toEqual({ resolved: path.join('dist', 'lib', 'promises', 'index.js'), missing: [], getters: [], fast: true });
  });

  test('the layer and the root share one package instance, from ES modules and CommonJS alike', () => {
    const probe = [
      "import { createRequire } from 'node:module';",
      "import { wskCall } from 'node-wsk/promises';",
      "import { IoAllocateIrp } from 'node-wsk';",
      "const require = createRequire(import.meta.url);",
      "const same = require('node-wsk/promises').wskCall === wskCall && require('node-wsk').IoAllocateIrp === IoAllocateIrp;",
      "console.log(JSON.stringify(same));",
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'one-instance.mjs'), probe);
    expect(JSON.parse(runNode(dir, ['one-instance.mjs']))).toBe(true);
  });

  test('strict nodenext TypeScript imports every name, values and types, from ES and CommonJS modules, and runs', () => {
    const report = typescriptEveryName(dir, STRICT_NODENEXT, entry);
    expect(sorted(report.esm.values)).toEqual(sorted(names));
    expect(sorted(report.cjs.values)).toEqual(sorted(names));
    expect(sorted(report.esm.types)).toEqual(sorted(report.cjs.types));
    expect(report.esm.types).toEqual(expect.arrayContaining(['WskCallOptions', 'Datagram', 'WskClient']));
    expect(report.undefinedAtRunTime).toEqual([[], []]);
  });
});
