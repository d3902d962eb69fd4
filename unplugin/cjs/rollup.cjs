// CommonJS entry of "@cotangent/unplugin/rollup": `require()` returns the plugin factory itself
// (`require("@cotangent/unplugin/rollup")({ ... })`), with `default` as a property of it.
"use strict";
const factory = require("../dist/cjs/rollup.js").default;
module.exports = Object.assign(factory, { default: factory });
