// `import cotangent from "@cotangent/unplugin/vite"`: the Cotangent plugin for Vite.
import { unplugin } from "./index.js";

export type { Options } from "./index.js";
export default unplugin.vite;
