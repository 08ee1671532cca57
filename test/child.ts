// Runs a scenario of test/scenarios/ in its own node process: for what a jest test cannot do in
// its own process (let an exception reach the event loop, exit, enter a network namespace).
import { execFile } from 'child_process';
import * as path from 'path';
import { socketPoller } from '../lib';

const HOOK = path.join(__dirname, 'scenarios', 'ts-hook.js');

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs test/scenarios/<file> with `args`, using the readiness mechanism this test file uses;
 * `prefix` goes before node (`unshare -n`, for instance); `extraEnv` is added to the environment.
 */
export function runScenario(file: string, args: string[] = [], prefix: string[] = [], extraEnv: Record<string, string> = {}): Promise<ChildResult> {
  const env = { ...process.env, ...extraEnv };
  if (socketPoller().poller === 'uv') env.NODE_WSK_POLLER = 'uv';
  const command = [...prefix, process.execPath, '-r', HOOK, path.join(__dirname, 'scenarios', file), ...args];
  return new Promise((resolve) => {
    execFile(command[0], command.slice(1), { env, timeout: 20000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON line a scenario printed (the last line of its output). */
export async function scenarioResult(file: string, args: string[] = [], prefix: string[] = []): Promise<Record<string, unknown>> {
  const r = await runScenario(file, args, prefix);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`scenario ${file} ${args.join(' ')} printed no result (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
