// The repository's own Babel config (used by jest through babel-jest): strip TypeScript, and
// convert ES modules to CommonJS only for jest. Tests that run Babel themselves (e.g. the
// babel-plugin fixtures) should pass `configFile: false, babelrc: false` so this file does not apply.
module.exports = function babelConfig(api) {
  const forJest = api.caller((caller) => Boolean(caller && caller.name === "babel-jest"));
  return {
    presets: [["@babel/preset-typescript", { allowDeclareFields: true }]],
    plugins: forJest ? ["@babel/plugin-transform-modules-commonjs"] : [],
  };
};
