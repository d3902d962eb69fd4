// Sample user project: TypeScript + Cotangent through webpack and babel-loader.
// Build: npx webpack --config e2e/projects/webpack-babel/webpack.config.cjs
const path = require("node:path");

module.exports = {
  mode: "development",
  target: "node",
  devtool: "source-map",
  context: __dirname,
  entry: { main: "./src/main.ts", throws: "./src/throws.ts" },
  output: {
    path: path.resolve(__dirname, "../../out/webpack-babel"),
    filename: "[name].cjs",
    clean: true,
    // Stack traces under `node --enable-source-maps` name the real file on disk.
    devtoolModuleFilenameTemplate: "[absolute-resource-path]",
  },
  resolve: {
    extensions: [".ts", ".js"],
    // Sources import "./model.js" (what Node's ESM loader needs after tsc); here that is model.ts.
    extensionAlias: { ".js": [".ts", ".js"] },
  },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: {
          loader: "babel-loader",
          options: {
            babelrc: false,
            configFile: false,
            presets: ["@babel/preset-typescript"],
            // "exported": model.ts's marks also get second derivatives, which main.ts uses.
            plugins: [["@cotangent/babel-plugin", { secondOrder: "exported" }]],
          },
        },
      },
    ],
  },
  stats: "errors-warnings",
};
