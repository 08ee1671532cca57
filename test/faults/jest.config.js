/**
 * The fault suite (npm run test:faults): run by test/faults/run.sh inside namespace A, one
 * file at a time (--runInBand: the tests change that namespace's sysctls and routes).
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  testMatch: ['<rootDir>/test/faults/*.fault.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 180000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
