// Sample user project: the sources of ../webpack-babel/src bundled by webpack 5 with
// @cotangent/unplugin/webpack and no TypeScript loader: the plugin strips the types (stripTypes).
// Build: npx webpack --config e2e/projects/webpack-unplugin/webpack.config.cjs
const path = require("node:path");
const cotangent = require("@cotangent/unplugin/webpack");

module.exports = {
  mode: "development",
  target: "node",
  devtool: "source-map",
  context: path.resolve(__dirname, "../webpack-babel"),
  entry: { main: "./src/main.ts", throws: "./src/throws.ts" },
  output: {
    path: path.resolve(__dirname, "../../out/webpack-unplugin"),
    filename: "[name].cjs",
    clean: true,
    devtoolModuleFilenameTemplate: "[absolute-resource-path]",
  },
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  plugins: [cotangent({ secondOrder: "exported", stripTypes: true })],
  stats: "errors-warnings",
};
