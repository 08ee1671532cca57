#!/usr/bin/env node
// node-wsk-trace: draws a trace written by NODE_WSK_TRACE as one self-contained HTML page.
//
//   npx node-wsk-trace trace.json -o timeline.html [--title "echo server"]
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeTimeline } from './timeline';

const USAGE = `usage: node-wsk-trace <trace.json> [-o timeline.html] [--title text]

Draws the IRP timeline that NODE_WSK_TRACE=trace.json recorded: one lane per socket, every IRP
from its call to its completion, failures in red, a tooltip per IRP. The page needs no network.
Without -o the page is written beside the trace, with the extension .html.`;

export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        title: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const input = positionals[0];
  const output = values.output ?? path.join(path.dirname(input), `${path.basename(input, path.extname(input))}.html`);
  try {
    const model = writeTimeline(input, output, values.title ?? path.basename(input));
    process.stdout.write(`${output}: ${model.irps.length} IRPs, ${model.events.length} event callbacks on ${model.lanes.length} tracks\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`node-wsk-trace: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
