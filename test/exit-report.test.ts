// Regression (issue 14, item 9): a process that ends with WSK sockets open or a WskDeregister
// unsettled says so on stderr, the way a driver unload with leaks is reported; a program that
// closed everything prints nothing. Each case is a child process (test/scenarios/exit-report.ts).
import { runScenario } from './child';

test('a program that closed and deregistered everything prints nothing at exit', async () => {
  expect(await runScenario('exit-report.ts', ['clean'])).toEqual({ code: 0, stdout: '', stderr: '' });
});

test('sockets left open are listed by category with their pending IRPs, and the client-level IRPs', async () => {
  const r = await runScenario('exit-report.ts', ['sockets']);
  expect(r.code).toBe(0);
  expect(r.stderr.split('\n')).toEqual([
    'node-wsk: exiting with WSK objects still open (a driver unloading like this would leak them):',
    '  registration 1, WskDeregister not called:',
    '    datagram socket, pending: WskReceiveFrom',
    '    listening socket, pending: WskAccept x2',
    '    connection-oriented socket, nothing pending',
    '    pending on the client: WskControlClient',
    '',
  ]);
});

test('a WskDeregister that never completed is reported with what it waits for', async () => {
  const r = await runScenario('exit-report.ts', ['deregister']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toEqual([
    'node-wsk: exiting with WSK objects still open (a driver unloading like this would leak them):',
    '  registration 1, WskDeregister never completed (it waits for 1 socket):',
    '    datagram socket, nothing pending',
    '',
  ]);
});
