// The proof of NODE_WSK_VERIFIER (issue 17, part 3): eight small WSK clients, each with one
// classic bug, pass on loopback without fault injection and are caught with it within 20 seeds
// (a failed check of their own, a WskVerifierError, or a hang turned into a timeout). The
// seeds each one needed are printed, and the README's table ("Fault injection") records them.
import { cancelRace } from './cancel-race';
import { PlantedClient, runOnce } from './harness';
import { ignoreIrpNull } from './ignore-irp-null';
import { ignoreReset } from './ignore-reset';
import { oneReceiveOneMessage } from './one-receive-one-message';
import { pendingAsFailure } from './pending-as-failure';
import { readBeforeCompletion } from './read-before-completion';
import { reuseIrpInline } from './reuse-irp-inline';
import { wholeIndication } from './whole-indication';

const SEEDS = 20;

const clients: PlantedClient[] = [
  pendingAsFailure,
  oneReceiveOneMessage,
  ignoreIrpNull,
  reuseIrpInline,
  readBeforeCompletion,
  wholeIndication,
  ignoreReset,
  cancelRace,
];

describe.each(clients.map((c) => [c.bug, c] as const))('%s', (_bug, client) => {
  test('passes on loopback without fault injection', async () => {
    expect(await runOnce(client, null)).toEqual({ caught: false });
  });

  test(`is caught with ${JSON.stringify(client.faults)} within ${SEEDS} seeds`, async () => {
    let caughtAt = 0;
    let how = '';
    for (let seed = 1; seed <= SEEDS && caughtAt === 0; seed++) {
      const outcome = await runOnce(client, { ...client.faults, seed }, 1500);
      if (outcome.caught) {
        caughtAt = seed;
        how = outcome.how;
      }
    }
    console.log(`planted: "${client.bug}" caught by ${JSON.stringify(client.faults)} at seed ${caughtAt}: ${how}`);
    expect(caughtAt).toBeGreaterThan(0);
  });
});
