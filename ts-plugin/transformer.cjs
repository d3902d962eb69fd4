// CommonJS entry of "@cotangent/ts-plugin/transformer": ts-patch `require`s the module named in a
// tsconfig's `plugins[].transform`, so `require()` here returns the transformer function itself
// (with the module's other exports, and `default`, as properties of it).
"use strict";
const mod = require("./dist/cjs/transformer.js");
const transformer = mod.default;
module.exports = Object.assign(transformer, mod, { default: transformer });
