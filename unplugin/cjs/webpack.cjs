// CommonJS entry of "@cotangent/unplugin/webpack": `require()` returns the plugin factory itself
// (`require("@cotangent/unplugin/webpack")({ ... })`), with `default` as a property of it.
"use strict";
const factory = require("../dist/cjs/webpack.js").default;
module.exports = Object.assign(factory, { default: factory });
