// The suite, traced (npm run test:trace, project "suite traced"): each test file runs with the
// IRP timeline recording, must pass exactly as it does without (a trace never changes what a
// program does), and must leave a trace in which every call ends once (a completion, or the
// WskVerifierError that refused it) and that Perfetto's importer reads as a valid file
// (test/trace-format.ts). A failing file keeps its trace for a look: its path is in the error.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startWskTrace, stopWskTrace, writeWskTrace, wskTraceRecords, WskTraceRecord } from '../../lib';
import { chromeTraceProblems } from '../trace-format';

/** Calls that did not end exactly once: "op 12: call,complete,complete". */
function unfinishedCalls(records: WskTraceRecord[]): string[] {
  const ops = new Map<number, string[]>();
  for (const r of records) if (r.op !== 0) ops.set(r.op, [...(ops.get(r.op) ?? []), r.kind]);
  const bad: string[] = [];
  for (const [op, kinds] of ops) {
    // IoCancelIrp on an IRP no call has taken yet is a call of its own.
    if (kinds[0] !== 'call' && kinds.every((k) => k === 'cancel')) continue;
    const ends = kinds.filter((k) => k === 'complete' || k === 'violation').length;
    if (kinds[0] !== 'call' || ends !== 1) bad.push(`op ${op}: ${kinds.join(',')}`);
  }
  return bad;
}

beforeAll(() => startWskTrace({ max: 5_000_000 }));

afterAll(() => {
  stopWskTrace();
  const { records, dropped } = wskTraceRecords();
  const file = path.join(os.tmpdir(), `node-wsk-traced-${path.basename(expect.getState().testPath ?? 'file')}-${process.pid}.json`);
  writeWskTrace(file);
  const problems = [...(dropped > 0 ? [`${dropped} records dropped`] : []), ...unfinishedCalls(records), ...chromeTraceProblems(JSON.parse(fs.readFileSync(file, 'utf8')))];
  if (problems.length > 0) throw new Error(`the trace of this file (${file}) is wrong:\n${problems.slice(0, 20).join('\n')}`);
  fs.rmSync(file);
});
