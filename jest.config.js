/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  setupFiles: ['reflect-metadata'],
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/plugins'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testTimeout: 60000,
  // Each e2e file boots its own server and database; two workers keep a 2-core machine busy.
  maxWorkers: 2,
};
