// timeline.html in a real browser: a traced session (the echo server's self-test, a receive
// cancelled with IoCancelIrp, a connect to a closed port) is written by NODE_WSK_TRACE's
// recorder, drawn by node-wsk-trace, and loaded from a file:// URL in headless chromium, which
// must fetch nothing else and draw one span per IRP, the failed ones red, a tooltip for each.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium, Browser, Page } from 'playwright-core';
import {
  AF_INET,
  IoCancelIrp,
  IPPROTO_TCP,
  SOCK_STREAM,
  STATUS_PENDING,
  WSK_FLAG_CONNECTION_SOCKET,
  startWskTrace,
  stopWskTrace,
  writeWskTrace,
} from '../../lib';
import { main as echoSelfTest } from '../../examples/echosrv';
import { main as cli } from '../../lib/trace/cli';
import { TimelineModel, timelineModel } from '../../lib/trace/timeline';
import { call, expectStatus, newOp, register, unregister, wskClose, wskSocket } from '../helpers';
import { conn, connectedPair, sockaddr, wskBuf } from '../conn-helpers';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const missing = process.env.NODE_WSK_NO_CHROMIUM ?? (fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed`);
if (missing) console.warn(`timeline.browser: skipped: ${missing}`);
const describeWithBrowser = missing ? describe.skip : describe;

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The session the page draws: echoes, one cancelled receive, one refused connect. */
async function tracedSession(): Promise<void> {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  startWskTrace();
  try {
    expect(await echoSelfTest(['--self-test'])).toBe(0);
    const p = register();
    const { s, close } = await connectedPair(p);
    const receive = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(new Uint8Array(32)), 0, receive.irp), STATUS_PENDING);
    IoCancelIrp(receive.irp);
    await receive.done;
    await wskClose(s);
    await close();
    const refused = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    await call((irp) => conn(refused).WskBind(refused, sockaddr('127.0.0.1', 0), 0, irp));
    const port = await closedPort();
    await call((irp) => conn(refused).WskConnect(refused, sockaddr('127.0.0.1', port), 0, irp));
    await wskClose(refused);
    await unregister(p);
  } finally {
    stopWskTrace();
    log.mockRestore();
  }
}

describeWithBrowser('timeline.html in headless chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wsk-timeline-'));
  const traceFile = path.join(dir, 'session.json');
  const page$ = path.join(dir, 'session.html');
  let model: TimelineModel;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    await tracedSession();
    writeWskTrace(traceFile);
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(cli([traceFile, '-o', page$])).toBe(0);
    } finally {
      write.mockRestore();
    }
    model = timelineModel(JSON.parse(fs.readFileSync(traceFile, 'utf8')), 'session');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    // A missing element fails its test in seconds, not at the test's timeout.
    page.setDefaultTimeout(5000);
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`file://${page$}`);
    await page.waitForSelector('body[data-drawn]');
  });

  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the page loads nothing but itself and runs without an error', () => {
    expect(requests).toEqual([`file://${page$}`]);
    expect(errors).toEqual([]);
  });

  test('one lane per track, named, and every IRP drawn: the spans hold one count per call of the trace', async () => {
    const labels = await page.locator('text.lane-label').allTextContents();
    expect(labels).toEqual(model.lanes.map((l) => l.name));
    expect(labels.filter((l) => /connection-oriented/.test(l)).length).toBeGreaterThanOrEqual(4);
    const counts = await page.$$eval('rect.irp', (rects) => rects.map((r) => Number(r.getAttribute('data-count') ?? 1)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(model.irps.length);
    // The echo server's IRPs (socket, bind, the echoes' sends, unload), the test's own (sockets,
    // binds, connects, the cancelled receive, the refused connect): a session worth drawing.
    expect(model.irps.length).toBeGreaterThan(20);
  });

  test('pended IRPs are spans from the call to the completion; the failed ones (cancelled, refused) are red', async () => {
    const pending = await page.$$eval('rect.irp.pend', (rects) => rects.map((r) => r.getBoundingClientRect().width));
    expect(pending.length).toBeGreaterThan(3);
    expect(Math.max(...pending)).toBeGreaterThan(20);
    // (The page's own globals: this project's TypeScript has no DOM library.)
    type Styles = { getComputedStyle(e: unknown): { fill: string } };
    const failed = await page.$$eval('rect.irp.fail', (rects) =>
      rects.map((r) => [r.getAttribute('data-name'), r.getAttribute('data-status'), (globalThis as unknown as Styles).getComputedStyle(r).fill]),
    );
    const names = failed.map(([name, status]) => `${name} ${String(status).replace(/ \(.*/, '')}`).sort();
    expect(names).toEqual(['WskConnect STATUS_CONNECTION_REFUSED', 'WskReceive STATUS_CANCELLED']);
    for (const [, , fill] of failed) expect(fill).toBe('rgb(207, 34, 46)');
    expect(model.irps.filter((i) => i.failed)).toHaveLength(2);
  });

  test('hovering an IRP shows its tooltip: the call, STATUS_PENDING or inline, the status, the arguments', async () => {
    await page.hover('rect.irp.fail[data-name="WskReceive"]');
    const cancelled = await page.locator('#tooltip').innerText();
    expect(cancelled).toMatch(/^WskReceive {2}\(call \d+, socket \d+ \(connection-oriented\)\)/);
    expect(cancelled).toContain('returned    STATUS_PENDING');
    expect(cancelled).toContain('status      STATUS_CANCELLED (0xC0000120)');
    expect(cancelled).toContain('Length=32');
    await page.hover('rect.irp.pend[data-name="WskReceive"]');
    expect(await page.locator('#tooltip').innerText()).toMatch(/completed {3}[\d.]+ (µs|ms) later\nstatus {6}STATUS_SUCCESS/);
    await page.mouse.move(5, 5);
    expect(await page.locator('#tooltip').isHidden()).toBe(true);
  });

  test('the wheel zooms in around the cursor: a span gets wider, and reset draws it all again', async () => {
    const span = page.locator('rect.irp.pend').first();
    const op = await span.getAttribute('data-op');
    const before = (await span.boundingBox())!;
    await page.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -200);
    const after = (await page.locator(`rect.irp[data-op="${op}"]`).boundingBox())!;
    expect(after.width).toBeGreaterThan(before.width * 2);
    await page.click('#reset');
    const counts = await page.$$eval('rect.irp', (rects) => rects.map((r) => Number(r.getAttribute('data-count') ?? 1)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(model.irps.length);
  });
});
