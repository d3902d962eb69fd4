// `import cotangent from "@cotangent/unplugin/rspack"`: the Cotangent plugin for Rspack.
import { unplugin } from "./index.js";

export type { Options } from "./index.js";
export default unplugin.rspack;
