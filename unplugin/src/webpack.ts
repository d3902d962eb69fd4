// `import cotangent from "@cotangent/unplugin/webpack"`: the Cotangent plugin for webpack.
import { unplugin } from "./index.js";

export type { Options } from "./index.js";
export default unplugin.webpack;
