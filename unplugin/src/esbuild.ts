// `import cotangent from "@cotangent/unplugin/esbuild"`: the Cotangent plugin for esbuild.
import { unplugin } from "./index.js";

export type { Options } from "./index.js";
export default unplugin.esbuild;
