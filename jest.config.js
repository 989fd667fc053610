/**
 * Tests run against the compiled server (`npm test` builds first): each suite starts real
 * `node dist/main.js` processes on temporary SQLite files and talks to them over HTTP.
 * ts-jest compiles the test files themselves to CommonJS.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', isolatedModules: true } }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
