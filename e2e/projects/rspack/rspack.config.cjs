// Sample user project: the sources of ../webpack-babel/src bundled by Rspack 2 with
// @cotangent/unplugin/rspack (before Rspack's builtin:swc-loader, which strips the types), for Node.
// Build: npx rspack build -c e2e/projects/rspack/rspack.config.cjs (with @rspack/cli), or the JS API.
const path = require("node:path");
const cotangent = require("@cotangent/unplugin/rspack");

module.exports = {
  mode: "development",
  target: "node",
  devtool: "source-map",
  context: path.resolve(__dirname, "../webpack-babel"),
  entry: { main: "./src/main.ts", throws: "./src/throws.ts" },
  output: {
    path: path.resolve(__dirname, "../../out/rspack"),
    filename: "[name].cjs",
    clean: true,
    // Stack traces under `node --enable-source-maps` name the real file on disk.
    devtoolModuleFilenameTemplate: "[absolute-resource-path]",
  },
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        loader: "builtin:swc-loader",
        options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } },
        type: "javascript/auto",
      },
    ],
  },
  plugins: [cotangent({ secondOrder: "exported" })],
  stats: "errors-warnings",
};
