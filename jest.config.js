/**
 * Real sockets on loopback; every file ends with no native socket open (test/setup.ts).
 * The suite runs twice: with the readiness mechanism the addon picks on this machine
 * (io_uring where the kernel allows it) and with NODE_WSK_POLLER=uv, so that the
 * fallback every other machine uses is tested as hard as the default.
 */
const project = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  // The examples import 'node-wsk' by name: the sources here, so that they share one instance
  // of the package with the tests (Node itself resolves the name to dist/, see tsconfig.json).
  moduleNameMapper: {
    '^node-wsk$': '<rootDir>/lib/index.ts',
    '^node-wsk/promises$': '<rootDir>/lib/promises/index.ts',
  },
};

module.exports = {
  projects: [
    { ...project, displayName: 'default poller' },
    { ...project, displayName: 'uv poller', setupFilesAfterEnv: ['<rootDir>/test/poller-uv.ts', ...project.setupFilesAfterEnv] },
  ],
  testSequencer: '<rootDir>/test/sequencer.js',
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
