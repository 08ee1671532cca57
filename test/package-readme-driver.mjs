// Runs the README example (compiled; argv[2]) and is its peer: connects to 127.0.0.1:argv[3]
// with node:net once the example listens, then waits for the example to exit. Prints one JSON
// line. package-install.test.ts runs it, in a network namespace of its own where it can.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [example, port] = [process.argv[2], Number(process.argv[3])];
const child = spawn(process.execPath, [example], { stdio: ['ignore', 'pipe', 'pipe'] });
const output = { stdout: '', stderr: '' };
child.stdout.on('data', (d) => (output.stdout += d));
child.stderr.on('data', (d) => (output.stderr += d));
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
// A hung example is a failure to report, not a test left waiting.
const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);

function connectOnce() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The example needs a moment to start and bind: refused connections are retried, boundedly. */
async function connect() {
  for (let attempt = 0; attempt < 600 && child.exitCode === null; attempt++) {
    try {
      return await connectOnce();
    } catch (err) {
      if (err.code !== 'ECONNREFUSED') throw err;
      await sleep(50);
    }
  }
  return null;
}

const socket = await connect();
const clientPort = socket?.localPort ?? null; // gone once the socket is closed
const closed = socket && new Promise((resolve) => socket.on('close', resolve));
socket?.on('error', () => {}); // the example closes without disconnecting: a reset, as on Windows
const { code, signal } = await exited;
clearTimeout(watchdog);
socket?.destroy();
await closed;
console.log(JSON.stringify({ clientPort, code, signal, ...output }));
