// jest's own order (failed first, then slowest first), except that every file of the 'uv poller'
// project runs before any file of the default one.
//
// Why: jest loads a native addon through Node's own require cache, once per worker process, so
// every test file a worker runs shares the addon's env, and with it the readiness mechanism the
// env settles on at its first poll(). test/poller-uv.ts can ask for uv only while nothing has
// polled; a default-project file that polled first (with io_uring) made every uv-project file
// after it fail to start ("usePoller: the file already polled with io_uring"). jest runs files it
// has no timing for first, so adding a test file was enough to bring a default file to the front.
// Files of the default project that run after a uv file in the same worker poll with uv too.
const Sequencer = require('@jest/test-sequencer').default;

const isUv = (test) => test.context.config.displayName?.name === 'uv poller';

class UvFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter(isUv), ...sorted.filter((t) => !isUv(t))];
  }
}

module.exports = UvFirstSequencer;
