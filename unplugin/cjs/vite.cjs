// CommonJS entry of "@cotangent/unplugin/vite": `require()` returns the plugin factory itself
// (`require("@cotangent/unplugin/vite")({ ... })`), with `default` as a property of it.
"use strict";
const factory = require("../dist/cjs/vite.js").default;
module.exports = Object.assign(factory, { default: factory });
