// The browser app: TypeScript through babel-loader (@babel/preset-typescript + @cotangent/babel-plugin),
// bundled for the web into e2e/out/browser/ (index.html copied next to main.js by the test).
// Build: npx webpack --config e2e/browser/webpack.config.cjs   (e2e/test/browser.test.ts uses webpack's Node API)
const path = require("node:path");

module.exports = {
  mode: "development",
  target: "web",
  devtool: "source-map",
  context: __dirname,
  entry: { main: "./src/main.ts" },
  output: {
    path: path.resolve(__dirname, "../out/browser"),
    filename: "[name].js",
    clean: true,
  },
  resolve: {
    extensions: [".ts", ".js"],
    extensionAlias: { ".js": [".ts", ".js"] },
  },
  module: {
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
  performance: { hints: false },
  stats: "errors-warnings",
};
