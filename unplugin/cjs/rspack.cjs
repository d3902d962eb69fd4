// CommonJS entry of "@cotangent/unplugin/rspack": `require()` returns the plugin factory itself
// (`require("@cotangent/unplugin/rspack")({ ... })`), with `default` as a property of it.
"use strict";
const factory = require("../dist/cjs/rspack.js").default;
module.exports = Object.assign(factory, { default: factory });
