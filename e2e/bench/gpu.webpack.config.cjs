// The single-file bundle of `npm run bench:gpu` (entry gpu-bundle.mjs) for the GPU machine, which has
// no Node modules: e2e/bench/gpu-device.sh builds it into e2e/out/gpu-bench/bench-gpu.cjs and copies
// it to .gpu/. Target node, CommonJS, one chunk; not minified (readable stack traces), without
// the dependencies' inline source maps.
// Build by hand: npx webpack --config e2e/bench/gpu.webpack.config.cjs
const path = require("node:path");
const webpack = require("webpack");

/** Drops the inline source maps that tfjs's dist files carry (5 of the bundle's 8 MB). */
class StripInlineSourceMaps {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap("StripInlineSourceMaps", (compilation) => {
      compilation.hooks.processAssets.tap({ name: "StripInlineSourceMaps", stage: webpack.Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_SIZE }, (assets) => {
        for (const name of Object.keys(assets)) {
          const text = assets[name].source().toString();
          compilation.updateAsset(name, new webpack.sources.RawSource(text.replace(/\/\/# sourceMappingURL=data:[^\n]*/g, "")));
        }
      });
    });
  }
}

module.exports = {
  mode: "production",
  target: "node20",
  devtool: false,
  context: __dirname,
  entry: { "bench-gpu": "./gpu-bundle.mjs" },
  output: {
    path: path.resolve(__dirname, "../out/gpu-bench"),
    filename: "[name].cjs",
    chunkFormat: "commonjs",
    clean: true,
  },
  // Dawn's native addon: required at run time from NODE_PATH (.gpu/node_modules).
  externals: { webgpu: "commonjs webgpu" },
  resolve: { extensions: [".ts", ".mjs", ".js"] },
  module: {
    parser: {
      // gpu.mjs's checkout path uses createRequire (Babel, the CommonJS builds): not for the bundle.
      javascript: { createRequire: false },
    },
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: {
          loader: require.resolve("babel-loader"),
          options: {
            babelrc: false,
            configFile: false,
            presets: [require.resolve("@babel/preset-typescript")],
            plugins: [require.resolve("@cotangent/babel-plugin")],
          },
        },
      },
    ],
  },
  plugins: [
    new webpack.DefinePlugin({ TFJS_WEBGPU_VERSION: JSON.stringify(require("@tensorflow/tfjs-backend-webgpu/package.json").version) }),
    new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
    new StripInlineSourceMaps(),
  ],
  optimization: { minimize: false },
  performance: { hints: false },
  stats: "errors-warnings",
};
