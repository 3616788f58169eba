// Two projects: fast unit tests (pure code) and integration tests against real Kafka,
// schema registry, Postgres and Redis (see test/global-setup.ts for how those are found).
//
// ESM-only dependencies (p-limit and its yocto-queue, jose): the services require() them natively (Node 24's
// require(esm), dist/ and tsx alike), but jest's own module loader does so only under the experimental
// `--experimental-vm-modules` flag, so jest compiles these few packages to CommonJS like our sources.
const ESM_ONLY = ['p-limit', 'yocto-queue', 'jose'];
const swc = ['@swc/jest', { jsc: { target: 'es2022' } }];
const transform = { '^.+\\.tsx?$': swc, [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: swc };
const common = {
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  // testTimeout is a global option (ignored inside a project): integration tests and their hooks need it.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.faults\\.test\\.ts$', '/.stack/'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/.stack/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
    // The fault suite (`npm run test:faults`): it starts, stops and restarts servers of its own
    // (test/support/private-stack.ts, private-servers.ts), so it needs none of the shared ones.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/*.faults.test.ts'], testPathIgnorePatterns: ['/node_modules/', '/.stack/'] },
  ],
};
