// CommonJS entry of "@cotangent/ts-plugin" (the package `main`): tsserver `require`s the module
// named in a tsconfig's `plugins[].name` and calls it as `init({ typescript })`, so `require()` here
// returns the plugin's init function itself (with the module's other exports, and `default`, as
// properties of it).
"use strict";
const mod = require("./dist/cjs/index.js");
const init = mod.default;
module.exports = Object.assign(init, mod, { default: init });
