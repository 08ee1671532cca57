#!/usr/bin/env node
// npx node-wsk-example <name> [arguments]: runs one of the examples shipped with the package
// (dist/examples; their sources are in examples/), each importing 'node-wsk' as your code
// would. Without a name, lists them.
import * as path from 'path';

/** The runnable examples: each module exports main(argv) resolving to an exit code. */
export const EXAMPLES: Readonly<Record<string, string>> = {
  'echo-server': 'TCP echo server for Node services: node-wsk/promises, an async iterator per connection',
  'echo-client': 'TCP echo client of echo-server: --host, --port, then the message',
  'udp-echo': 'UDP echo server: WskReceiveFromEvent through an async iterator, replies from WSK memory',
  echosrv: "Microsoft's WSK echo server sample, ported in the C style (KEVENTs, completion routines)",
  'listen-demo': "the documentation's CreateListeningSocket, bound to 127.0.0.1, printing each peer",
  'create-listening-socket': "the documentation's CreateListeningSocket sample, run once",
};

function usage(): string {
  const width = Math.max(...Object.keys(EXAMPLES).map((name) => name.length));
  const lines = Object.entries(EXAMPLES).map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
  return ['usage: node-wsk-example <name> [arguments]', '', ...lines, '', `sources: ${path.join(__dirname, '..', '..', 'examples')}`].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || !Object.hasOwn(EXAMPLES, name)) {
    if (name !== undefined && name !== '--help') console.error(`no example named '${name}'\n`);
    console.log(usage());
    return name === undefined || name === '--help' ? 0 : 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(`./${name}`) as { main(argv: string[]): Promise<number> };
  return example.main(rest);
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
