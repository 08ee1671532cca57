// What needs a network namespace of its own (root): the address list changing under a pending
// SIO_ADDRESS_LIST_CHANGE, routes for SIO_ROUTING_INTERFACE_QUERY, and IP_DONTFRAGMENT /
// IPV6_DONTFRAG against a lowered MTU. Each case is test/scenarios/netns-options.ts in a child
// process under `unshare -n`; without root (or unshare, or ip) they are skipped with a message.
import { spawnSync } from 'child_process';
import { scenarioResult } from './child';

// (Without the preloaded libasan of npm run test:asan: `ip` is not ours to sanitize.)
const isolated = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { env: { ...process.env, LD_PRELOAD: '' } }).status === 0;
const inNamespace = (mode: string): Promise<Record<string, unknown>> => scenarioResult('netns-options.ts', [mode], ['unshare', '-n']);

function skipped(what: string): boolean {
  if (isolated) return false;
  console.warn(`skipped: ${what} needs a network namespace of its own (root, unshare and ip)`);
  return true;
}

test('SIO_ADDRESS_LIST_CHANGE completes when `ip addr add` changes the list of its family; SIO_ADDRESS_LIST_QUERY then has the address; SIO_ROUTING_INTERFACE_QUERY follows the routes', async () => {
  if (skipped('the address list test')) return;
  expect(await inNamespace('address-list')).toEqual({
    before: ['127.0.0.1'],
    pended4: 'STATUS_PENDING',
    change4: ['STATUS_SUCCESS'],
    after: ['127.0.0.1', '198.18.7.7'],
    change6: ['STATUS_SUCCESS'],
    v4StillPending: true,
    cancelled: ['STATUS_CANCELLED'],
    routes: { loopback: '127.0.0.1', added: '198.18.7.7', noRoute: 'STATUS_NETWORK_UNREACHABLE', v6: '2001:2::7' },
  });
});

test('IP_DONTFRAGMENT and IPV6_DONTFRAG: past the MTU (1280), refused with STATUS_BUFFER_OVERFLOW (EMSGSIZE) instead of fragmented; off, the peer gets the datagram whole', async () => {
  if (skipped('the DONTFRAG test')) return;
  const refused = { status: 'STATUS_BUFFER_OVERFLOW', received: 0 };
  const whole = { status: 'STATUS_SUCCESS', received: 1400 };
  expect(await inNamespace('dontfrag')).toEqual({ v4on: refused, v4off: whole, v6on: refused, v6off: whole });
});
