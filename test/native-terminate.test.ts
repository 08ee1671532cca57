// Worker.terminate() stops a worker's JS wherever it is, including inside an addon call;
// from then on every Node-API call the addon makes in that worker fails, napi_throw too.
// None of that may end the process (issue 14: it did, with std::terminate, within ~70
// workers). The workers run in a child process, so that an abort fails this test instead
// of killing jest.
import { execFile } from 'child_process';
import * as path from 'path';
import { native } from '../lib/transport/native';

const FIXTURE = path.join(__dirname, 'fixtures', 'terminate-workers.js');
// The workers poll as this jest project does (the child's env reaches their getenv).
const ENV = { ...process.env, ...(native.poller().poller === 'uv' ? { NODE_WSK_POLLER: 'uv' } : {}) };

function run(count: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIXTURE, String(count)], { timeout: 170_000, maxBuffer: 1 << 20, env: ENV }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      resolve({
        code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        signal: e?.signal ?? null,
        stdout: stdout.trim(),
        stderr: stderr.trim(),
      });
    });
  });
}

test('200 workers terminated while busy in the addon (throwing calls, well-formed calls, events, resolutions) end the process normally', async () => {
  const r = await run(200);
  expect(r).toEqual({ code: 0, signal: null, stdout: 'terminated 200', stderr: '' });
}, 180_000);
