// `import cotangent from "@cotangent/unplugin/rollup"`: the Cotangent plugin for Rollup.
import { unplugin } from "./index.js";

export type { Options } from "./index.js";
export default unplugin.rollup;
