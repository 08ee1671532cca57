#!/usr/bin/env node
// Builds the prebuilt Node-API addons that the package ships, with prebuildify:
//   prebuilds/linux-x64/node-wsk.glibc.node     (this machine's compiler)
//   prebuilds/linux-arm64/node-wsk.glibc.node   (Debian's aarch64 cross compiler)
// node-gyp-build (lib/native.ts, and the package's install script) loads the one that matches,
// so an install needs no compiler and works with install scripts off. Run by `npm pack` and
// `npm publish` (prepack; postpack removes them again); by hand:
//   npm run build:prebuilds [-- x64 arm64]
//
// Each target builds in its own folder under build/, so that the development build
// (build/Release, which node-gyp-build prefers) is left alone.
//
// linux-arm64 needs g++-aarch64-linux-gnu. Where it is missing and this runs as root with
// apt-get, it is installed here (about a minute); otherwise that target is skipped with a
// message, and the package still installs on arm64 by compiling from source.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { promisify } = require('util');
const prebuildify = promisify(require('prebuildify'));

const root = path.join(__dirname, '..');
const NAME = require(path.join(root, 'package.json')).name;

/** How to build for each architecture from this (x64 or arm64 Linux) machine. */
const CROSS = {
  arm64: { prefix: 'aarch64-linux-gnu-', debianPackage: 'g++-aarch64-linux-gnu' },
  x64: { prefix: 'x86_64-linux-gnu-', debianPackage: 'g++-x86-64-linux-gnu' },
};

function onPath(program) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, program)));
}

/** Installs a cross compiler from the distribution, or says why it cannot. */
function installCompiler(debianPackage) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) return 'not root with apt-get';
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', debianPackage], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    install();
  } catch {
    // A machine fresh from its image may have no package lists yet.
    try {
      execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
      install();
    } catch (err) {
      return `apt-get install ${debianPackage} failed: ${err.message}`;
    }
  }
  return '';
}

/** The compiler environment for `arch`, or a string saying why there is none. */
function toolchain(arch) {
  if (arch === os.arch()) return { env: {}, strip: 'strip' };
  const cross = CROSS[arch];
  if (!cross || !CROSS[os.arch()]) return `no cross compiler known from ${os.arch()} to ${arch}`;
  const gxx = `${cross.prefix}g++`;
  if (!onPath(gxx)) {
    const why = installCompiler(cross.debianPackage);
    if (why) return `${gxx} is missing (${why})`;
  }
  const env = { CC: `${cross.prefix}gcc`, CXX: gxx, LINK: gxx, AR: `${cross.prefix}ar` };
  return { env, strip: `${cross.prefix}strip` };
}

/** A folder that builds like the package root: binding.gyp, and native/ through a link. */
function stage(arch) {
  const dir = path.join(root, 'build', `prebuild-${arch}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.symlinkSync(path.join(root, 'native'), path.join(dir, 'native'));
  return dir;
}

async function build(arch, required) {
  const tools = toolchain(arch);
  if (typeof tools === 'string') {
    if (required) throw new Error(`prebuild: linux-${arch}: ${tools}`);
    console.log(`prebuild: linux-${arch} skipped: ${tools}`);
    return;
  }
  Object.assign(process.env, tools.env); // prebuildify hands process.env to node-gyp
  try {
    await prebuildify({
      cwd: stage(arch),
      out: root,
      name: NAME,
      arch,
      napi: true, // one binary for every Node with Node-API 9 (binding.gyp's NAPI_VERSION)
      tagLibc: true, // a glibc build is not offered to musl (Alpine): it compiles there
      strip: true,
      stripBin: tools.strip,
      // npm hands its own node-gyp to scripts; outside npm, node-gyp must be on PATH.
      nodeGyp: process.env.npm_config_node_gyp || 'node-gyp',
    });
  } finally {
    for (const key of Object.keys(tools.env)) delete process.env[key];
  }
  console.log(`prebuild: linux-${arch} built`);
}

/** Architectures named on the command line must build; by default, this machine's must. */
async function main(named) {
  if (os.platform() !== 'linux') throw new Error('prebuild: the package ships Linux binaries only');
  process.env.JOBS ||= 'max'; // node-gyp: one compiler per core
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  const archs = named.length > 0 ? named : [os.arch(), ...Object.keys(CROSS).filter((a) => a !== os.arch())];
  for (const arch of archs) await build(arch, named.length > 0 || arch === os.arch());
}

// npm pack's postpack: the binaries live in the tarball only. Left in the working tree, they
// would be what a later `npm install` there finds and loads instead of compiling native/.
if (process.argv[2] === '--clean') {
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
