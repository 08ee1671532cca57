// Every public name by package name, from ES modules, CommonJS and strict TypeScript, with the
// working tree linked into a fresh project (package-install.test.ts does the same with the
// packed tarball). The package is what npm run build:ts left in dist/.
import * as fs from 'fs';
import * as path from 'path';
import * as wsk from '../lib';
import {
  STRICT_NODENEXT,
  TypeScriptReport,
  cjsReport,
  esmMismatches,
  linkedConsumer,
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
