/**
 * npm run test:trace (test/browser/run.sh): the browser checks of the IRP timeline, one project
 * (the page does not depend on the readiness mechanism), real sockets on loopback as everywhere.
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  testMatch: ['<rootDir>/test/browser/**/*.browser.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
