// CommonJS entry of "@cotangent/unplugin/esbuild": `require()` returns the plugin factory itself
// (`require("@cotangent/unplugin/esbuild")({ ... })`), with `default` as a property of it.
"use strict";
const factory = require("../dist/cjs/esbuild.js").default;
module.exports = Object.assign(factory, { default: factory });
