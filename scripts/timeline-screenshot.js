#!/usr/bin/env node
// npm run docs:timeline: docs/timeline.png, the picture of the README's "Timeline" section.
// Runs the echo server (dist/examples/echosrv.js) under NODE_WSK_TRACE, sends it a few node:net
// clients over IPv4 and IPv6 (one of which resets its connection), stops it with SIGINT (the
// trace is written at exit), draws the trace with node-wsk-trace and takes a screenshot of the
// page in headless chromium, the tooltip of the reset receive showing. About 5 s.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { main: drawTimeline } = require('../dist/lib/trace/cli');

const root = path.join(__dirname, '..');
const out = path.join(root, 'docs', 'timeline.png');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wsk-screenshot-'));
const traceFile = path.join(dir, 'echo-server.json');
const pageFile = path.join(dir, 'echo-server.html');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The echo server in its own process, traced; resolves with it and its port once it listens. */
function startServer() {
  const server = spawn(process.execPath, [path.join(root, 'dist', 'examples', 'echosrv.js'), '0'], {
    env: { ...process.env, NODE_WSK_TRACE: traceFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    server.stdout.on('data', (d) => {
      text += d;
      const m = /on \[::\]:(\d+)/.exec(text);
      if (m) resolve({ server, port: Number(m[1]) });
    });
    server.once('exit', (code) => reject(new Error(`echo server exited (${code}) before listening`)));
  });
}

/** A client that sends `messages` one by one, `gap` ms apart, reads the echoes, then ends (or resets). */
function client(host, port, messages, gap, reset = false) {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port }, async () => {
      for (const m of messages) {
        c.write(m);
        await sleep(gap);
      }
      if (reset) c.resetAndDestroy();
      else c.end();
    });
    c.on('data', () => {});
    c.on('error', (e) => (reset ? resolve() : reject(e)));
    c.on('close', () => resolve());
  });
}

async function main() {
  const { server, port } = await startServer();
  const exited = new Promise((r) => server.once('exit', r));
  await Promise.all([
    client('127.0.0.1', port, ['GET /a', 'GET /b', 'GET /c'], 4),
    sleep(2).then(() => client('::1', port, ['hello over IPv6', 'bye'], 6)),
    sleep(5).then(() => client('127.0.0.1', port, ['x'.repeat(3000)], 3)),
    sleep(8).then(() => client('127.0.0.1', port, ['reset after this'], 5, true)),
  ]);
  await sleep(20);
  server.kill('SIGINT');
  await exited;
  if (drawTimeline([traceFile, '-o', pageFile, '--title', 'examples/echosrv.ts, four clients']) !== 0) throw new Error('node-wsk-trace failed');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 420 }, deviceScaleFactor: 1 });
    await page.goto(`file://${pageFile}`);
    await page.waitForSelector('body[data-drawn]');
    await page.hover('rect.irp.fail');
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`wrote ${path.relative(root, out)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
