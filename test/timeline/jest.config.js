/**
 * npm run test:trace (test/timeline/run.sh), two projects:
 *  - "page": the page node-wsk-trace writes, in headless chromium (page.browser.ts);
 *  - "suite traced": the test files of npm test once more, each with the IRP timeline recording
 *    (traced-suite.ts): they must pass as they do untraced and leave a valid trace. Left out:
 *    trace.test.ts (it starts and stops recordings itself), the package and worker tests (they
 *    test dist/ in other processes, where nothing of this process's trace is).
 * Real sockets on loopback as everywhere; each file ends with no native socket open.
 */
const path = require('path');

const root = path.join(__dirname, '..', '..');
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] };
// As in the root jest.config.js: the examples import 'node-wsk' by name, the sources here, so that
// they share one instance of lib (and of its trace) with the tests.
const moduleNameMapper = {
  '^node-wsk$': '<rootDir>/lib/index.ts',
  '^node-wsk/promises$': '<rootDir>/lib/promises/index.ts',
};
const base = { rootDir: root, testEnvironment: 'node', transform, moduleNameMapper };

module.exports = {
  rootDir: root,
  projects: [
    {
      ...base,
      displayName: 'page',
      testMatch: ['<rootDir>/test/timeline/**/*.browser.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
    },
    {
      ...base,
      displayName: 'suite traced',
      testMatch: ['<rootDir>/test/*.test.ts'],
      testPathIgnorePatterns: ['/test/trace\\.test\\.ts$', '/test/package[^/]*\\.test\\.ts$', '/test/workers\\.test\\.ts$'],
      setupFilesAfterEnv: ['<rootDir>/test/setup.ts', '<rootDir>/test/timeline/traced-suite.ts'],
    },
  ],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
