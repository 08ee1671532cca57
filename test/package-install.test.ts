// The package as a new user gets it: `npm pack` (which builds the prebuilt addons), then the
// tarball installed into fresh projects with no compiler on PATH. Takes a minute or more, so
// `npm test` skips it; `npm run test:package` runs it (and .ci/run).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  ROOT,
  STRICT_NODENEXT,
  cjsReport,
  esmMismatches,
  runNode,
  runtimeNames,
  typescriptEveryName,
} from './package-consumer';

const enabled = process.env.NODE_WSK_PACKAGE_TEST === '1';
if (!enabled) {
  console.log('package-install.test.ts skipped: it packs and installs the package; npm run test:package runs it');
  test.skip('npm run test:package: packs the package and installs it into fresh projects', () => {});
}
// Registered only when asked for, so that npm test counts one skipped test, not every one.
const describeWhenAsked = enabled ? describe : (): void => undefined;

const SLOW = 10 * 60_000;
const COMPILERS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python', 'python3'];
const sorted = (xs: string[]) => [...xs].sort();

/** An environment whose PATH has node, npm and sh and nothing else (no compiler, no make). */
function noCompilerEnv(work: string): NodeJS.ProcessEnv {
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(fs.realpathSync(npm), path.join(bin, 'npm'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh')); // npm runs install scripts with sh
  // npm's own settings for this run (npm_config_*, set when jest runs under npm) stay out.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: bin };
}

function onPath(env: NodeJS.ProcessEnv, program: string): boolean {
  return env.PATH!.split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, program)));
}

function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const flags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  return execFileSync('npm', [...args, ...flags], { cwd, env, encoding: 'utf8', timeout: SLOW, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** A fresh project (an ES module one, as the README example needs) with the tarball installed. */
function freshProject(work: string, name: string, tarball: string, args: string[], env: NodeJS.ProcessEnv): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  npm(dir, ['install', ...args, tarball], env);
  return dir;
}

/** Runs this repository's TypeScript (the devDependency) in `dir`; tsc's messages if it fails. */
function tsc(dir: string, args: string[], env: NodeJS.ProcessEnv): void {
  const run = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), ...args], { cwd: dir, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tsc ${args.join(' ')} in ${dir}:\n${run.stdout}${run.stderr}`);
}

/** The ELF machine field of a shared object: 62 is x86-64, 183 is AArch64. */
function elfMachine(file: string): number {
  const header = fs.readFileSync(file).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

/** Makes a datagram socket and closes it, both completing inline: two IRPs, on two tracks. */
const TRACED_PROGRAM = `
const w = require('node-wsk');
const reg = {};
w.WskRegister({ ClientContext: null, Dispatch: { Version: w.MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } }, reg);
const npi = {};
w.WskCaptureProviderNPI(reg, w.WSK_INFINITE_WAIT, npi);
const irp = w.IoAllocateIrp(1, false);
const done = () => w.STATUS_MORE_PROCESSING_REQUIRED;
w.IoSetCompletionRoutine(irp, done, null, true, true, true);
npi.Dispatch.WskSocket(npi.Client, w.AF_INET, w.SOCK_DGRAM, w.IPPROTO_UDP, w.WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, null, irp);
const s = irp.IoStatus.Information;
w.IoReuseIrp(irp, 0);
w.IoSetCompletionRoutine(irp, done, null, true, true, true);
s.Dispatch.WskCloseSocket(s, irp);
w.WskReleaseProviderNPI(reg);
w.WskDeregister(reg);
`;

describeWhenAsked('the packed package, installed', () => {
  let work: string;
  let tarball: string;
  let unpacked: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wsk-install-'));
    execFileSync('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: SLOW });
    tarball = path.join(work, fs.readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    unpacked = path.join(unpacked, 'package');
    env = noCompilerEnv(work);
  }, SLOW);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('the tarball', () => {
    test('has the license, changelog, the docs the README links, both entries with their types, the sources and the prebuilt linux-x64 addon', () => {
      for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'docs/PORTING.md', 'docs/SEMANTICS.md', 'binding.gyp', 'native/binding.cc', 'lib/index.ts']) {
        expect({ file, shipped: fs.existsSync(path.join(unpacked, file)) }).toEqual({ file, shipped: true });
      }
      for (const entry of ['', 'promises']) {
        for (const file of ['index.js', 'index.d.ts', 'index.mjs', 'index.d.mts'].map((f) => path.join(entry, f))) {
          expect({ file, shipped: fs.existsSync(path.join(unpacked, 'dist', 'lib', file)) }).toEqual({ file, shipped: true });
        }
      }
      for (const file of ['dist/examples/cli.js', 'dist/examples/echo-server.js', 'examples/echo-server.ts']) {
        expect({ file, shipped: fs.existsSync(path.join(unpacked, file)) }).toEqual({ file, shipped: true });
      }
      for (const absent of ['build', 'test', 'bench', 'scripts', 'node_modules']) {
        expect({ absent, shipped: fs.existsSync(path.join(unpacked, absent)) }).toEqual({ absent, shipped: false });
      }
      expect(fs.readFileSync(path.join(unpacked, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      expect(elfMachine(path.join(unpacked, 'prebuilds', 'linux-x64', 'node-wsk.glibc.node'))).toBe(62);
    });

    test('a linux-arm64 addon, where the prebuild script had its cross compiler, is an AArch64 object', () => {
      const arm64 = path.join(unpacked, 'prebuilds', 'linux-arm64', 'node-wsk.glibc.node');
      if (!fs.existsSync(arm64)) {
        console.log('no linux-arm64 prebuild in the tarball (npm pack printed why): not checked');
        return;
      }
      expect(elfMachine(arm64)).toBe(183);
    });

    test('every source map points at a source the tarball has', () => {
      const maps = fs.readdirSync(path.join(unpacked, 'dist', 'lib'), { recursive: true }).map(String).filter((f) => f.endsWith('.map'));
      expect(maps.length).toBeGreaterThan(10);
      const missing = maps.flatMap((map) => {
        const file = path.join(unpacked, 'dist', 'lib', map);
        const sources: string[] = JSON.parse(fs.readFileSync(file, 'utf8')).sources;
        return sources.map((s) => path.resolve(path.dirname(file), s)).filter((s) => !fs.existsSync(s));
      });
      expect(missing).toEqual([]);
    });

    test('package.json: Linux only, Node 20.3+, the exports map, repository, keywords', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
      expect(pkg.os).toEqual(['linux']);
      expect(pkg.engines.node).toBe('>=20.3.0');
      expect(pkg.license).toBe('MIT');
      expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\//);
      expect(pkg.keywords).toEqual(expect.arrayContaining(['wsk', 'winsock']));
      expect(pkg.exports['.']).toEqual({
        import: { types: './dist/lib/index.d.mts', default: './dist/lib/index.mjs' },
        require: { types: './dist/lib/index.d.ts', default: './dist/lib/index.js' },
      });
      expect(pkg.exports['./promises']).toEqual({
        import: { types: './dist/lib/promises/index.d.mts', default: './dist/lib/promises/index.mjs' },
        require: { types: './dist/lib/promises/index.d.ts', default: './dist/lib/promises/index.js' },
      });
      expect(pkg.bin).toEqual({ 'node-wsk-example': 'dist/examples/cli.js', 'node-wsk-trace': 'dist/lib/trace/cli.js' });
    });
  });

  describe('installed with --ignore-scripts, no compiler on PATH', () => {
    let dir: string;
    let names: string[];

    beforeAll(() => {
      const typesNode = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies['@types/node'];
      dir = freshProject(work, 'ignore-scripts', tarball, ['--ignore-scripts', `@types/node@${typesNode}`], env);
      names = runtimeNames(dir);
    }, SLOW);

    test('the PATH the tarball is installed with has no compiler, make or python', () => {
      expect(COMPILERS.filter((program) => onPath(env, program))).toEqual([]);
    });

    test('loads the prebuilt addon (nothing was compiled)', () => {
      const pkg = path.join(dir, 'node_modules', 'node-wsk');
      expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
      const loaded = runNode(dir, ['-p', `require('node-gyp-build').resolve(${JSON.stringify(pkg)})`], env).trim();
      expect(path.relative(pkg, loaded)).toBe(path.join('prebuilds', `linux-${os.arch()}`, 'node-wsk.glibc.node'));
      expect(names.length).toBeGreaterThan(300);
    });

    test('an .mjs file imports every name by name', () => {
      expect(esmMismatches(dir, names)).toEqual([]);
    });

    test('a CommonJS file requires every name; the package object is in fast mode', () => {
      expect(cjsReport(dir, names)).toEqual({ resolved: path.join('dist', 'lib', 'index.js'), missing: [], getters: [], fast: true });
    });

    test('strict nodenext TypeScript imports every name, as values and types, and runs', () => {
      const report = typescriptEveryName(dir, STRICT_NODENEXT);
      expect(sorted(report.esm.values)).toEqual(sorted(names));
      expect(sorted(report.cjs.values)).toEqual(sorted(names));
      expect(report.undefinedAtRunTime).toEqual([[], []]);
    });

    test('NODE_WSK_TRACE records a program of the installed package, and its bin node-wsk-trace draws the file', () => {
      const trace = path.join(dir, 'trace.json');
      const page = path.join(dir, 'timeline.html');
      runNode(dir, ['-e', TRACED_PROGRAM], { ...env, NODE_WSK_TRACE: trace });
      const drawn = execFileSync(path.join(dir, 'node_modules', '.bin', 'node-wsk-trace'), [trace, '-o', page], { cwd: dir, env, encoding: 'utf8' });
      expect(drawn).toBe(`${page}: 2 IRPs, 0 event callbacks on 2 tracks\n`);
      const html = fs.readFileSync(page, 'utf8');
      expect(html.includes('"name":"WskCloseSocket"') && html.includes('document.body.setAttribute')).toBe(true);
    });

    test('node-wsk/promises: every name from an .mjs, a CommonJS file and strict nodenext TypeScript', () => {
      const entry = 'node-wsk/promises';
      const layer = runtimeNames(dir, entry);
      expect(layer).toEqual(expect.arrayContaining(['wskCall', 'IrpPool', 'NtStatusError', 'ReceiveEvents']));
      expect(esmMismatches(dir, layer, entry)).toEqual([]);
      expect(cjsReport(dir, layer, entry)).toEqual({ resolved: path.join('dist', 'lib', 'promises', 'index.js'), missing: [], getters: [], fast: true });
      const report = typescriptEveryName(dir, STRICT_NODENEXT, entry);
      expect(sorted(report.esm.values)).toEqual(sorted(layer));
      expect(report.undefinedAtRunTime).toEqual([[], []]);
    });

    test('npx node-wsk-example: the shipped examples list and run, importing the installed package by name', () => {
      const bin = path.join('node_modules', '.bin', 'node-wsk-example');
      expect(runNode(dir, [bin], env)).toContain('  echo-server ');
      const out = runNode(dir, [bin, 'create-listening-socket'], env);
      expect(out).toMatch(/^CreateListeningSocket returned STATUS_SUCCESS[^\n]*\n[\s\S]*bound to 127\.0\.0\.1:\d+; closing it\nclosed and deregistered\n$/);
    });

    test('the README example, copied as written, compiles (tsc --init, plus Node\'s types) and accepts a node:net peer', async () => {
      const readme = fs.readFileSync(path.join(dir, 'node_modules', 'node-wsk', 'README.md'), 'utf8');
      const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
      const port = Number(/sockaddrFromString\('127\.0\.0\.1', (\d+)\)/.exec(example)![1]);
      const project = path.join(dir, 'readme');
      fs.mkdirSync(project);
      tsc(project, ['--init'], env);
      // What tsc --init's own comment says to do for Node: "types": ["node"] (with @types/node).
      const config = fs.readFileSync(path.join(project, 'tsconfig.json'), 'utf8');
      expect(config).toContain('"types": [],');
      fs.writeFileSync(path.join(project, 'tsconfig.json'), config.replace('"types": [],', '"types": ["node"],'));
      fs.writeFileSync(path.join(project, 'readme.mts'), example);
      tsc(project, ['-p', '.'], env);
      const result = await runReadmeExample(project, port);
      expect(result).toEqual({ code: 0, signal: null, stdout: `accepted 127.0.0.1:${result.clientPort}\n`, stderr: '', clientPort: expect.any(Number) });
    });
  });

  test('installed with install scripts on and no compiler: the install script finds the prebuilt addon', () => {
    const dir = freshProject(work, 'with-scripts', tarball, [], env);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'node-wsk', 'build'))).toBe(false);
    expect(runNode(dir, ['-p', "require('node-wsk').socketPoller().poller"], env).trim()).toMatch(/^(io_uring|uv)$/);
  }, SLOW);

  test('installed with --build-from-source (a compiler on PATH): the addon builds from the shipped sources', () => {
    const dir = freshProject(work, 'from-source', tarball, ['--build-from-source'], { ...process.env });
    const pkg = path.join(dir, 'node_modules', 'node-wsk');
    const loaded = runNode(dir, ['-p', `require('node-gyp-build').resolve(${JSON.stringify(pkg)})`]).trim();
    expect(path.relative(pkg, loaded)).toBe(path.join('build', 'Release', 'node_wsk.node'));
    expect(runNode(dir, ['-p', "Object.keys(require('node-wsk')).length"]).trim()).toBe(String(runtimeNames(dir).length));
  }, SLOW);
});

/**
 * Runs the compiled example with test/package-readme-driver.mjs as its peer. In a network
 * namespace of its own where this process may make one (root), so that the example's fixed
 * port cannot meet another program's; else on this machine's loopback, if the port is free.
 */
async function runReadmeExample(dir: string, port: number): Promise<Record<string, unknown>> {
  const driver = [process.execPath, path.join(__dirname, 'package-readme-driver.mjs'), 'readme.mjs', String(port)];
  const isolated = spawnSync('unshare', ['--net', 'true']).status === 0;
  if (!isolated) {
    console.log(`README example: no network namespace here (not root?); it runs on 127.0.0.1:${port}`);
    await expect(portIsFree(port)).resolves.toBe(true);
  }
  const [program, ...args] = isolated ? ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...driver] : driver;
  return JSON.parse(execFileSync(program!, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 }));
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
