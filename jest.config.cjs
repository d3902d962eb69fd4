// Jest for every workspace package: <pkg>/test/**/*.test.{ts,js,mjs}, compiled by babel-jest with
// babel.config.js. Workspace packages imported by name (`@cotangent/runtime`) resolve through
// node_modules symlinks to their built dist/cjs (the `require` export condition), so run
// `npm run build` first (`npm test` does).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  testEnvironmentOptions: { customExportConditions: ["node", "require", "default"] },
  testMatch: ["<rootDir>/*/test/**/*.test.{ts,js,mjs}"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/", "/fixtures/", "<rootDir>/e2e/out/"],
  transform: { "^.+\\.[cm]?[jt]sx?$": "babel-jest" },
  // Built output is already CommonJS; don't run it through Babel again.
  transformIgnorePatterns: ["/node_modules/", "/dist/"],
  // Sources import siblings as "./x.js" (NodeNext style); let tests that import src/ directly resolve the .ts.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  // Real WebGPU for the WebGPU backend's tests: VK_ICD_FILENAMES → .lavapipe/ (scripts/setup-webgpu.sh).
  globalSetup: "<rootDir>/scripts/jest-global-setup.cjs",
  watchPathIgnorePatterns: ["/dist/", "<rootDir>/e2e/out/"],
  modulePathIgnorePatterns: ["<rootDir>/e2e/out/"],
};
