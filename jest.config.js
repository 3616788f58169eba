// Two projects: fast unit tests (pure code) and integration tests against real Kafka,
// schema registry, Postgres and Redis (see test/global-setup.ts for how those are found).
const transform = { '^.+\\.[tj]sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// jose is ESM only: node requires it natively, jest's module loader (before Node 24.9) only once
// swc has compiled it to CommonJS like our own files.
const common = {
  transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], modulePathIgnorePatterns: ['<rootDir>/dist/'],
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

module.exports = {
  // testTimeout is a global option (ignored inside a project): integration tests and their hooks need it.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '/.stack/'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/.stack/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
