// Entry of the single-file bundle of `npm run bench:gpu` for a machine without Node modules
// (built by e2e/bench/gpu-device.sh with gpu.webpack.config.cjs): everything gpu.mjs loads, resolved
// at bundle time. The marked loss (gpu-loss.ts) is compiled by babel-loader with
// @cotangent/babel-plugin here, so no Babel runs on that machine. Only `webgpu` (Dawn's native
// addon) stays outside: required at run time, found through NODE_PATH (.gpu/enter.sh sets it).
// tfjs: tfjs-core with its gradients registered, and tfjs-backend-webgpu, imported only after
// gpu.mjs has set navigator.gpu (the backend registers itself at import only when it sees one).

globalThis.__cotangentGpuBench = {
  bundled: true,
  loadWebgpu: () => import("webgpu"),
  loadTfjs: async () => {
    const tf = await import(/* webpackMode: "eager" */ "@tensorflow/tfjs-core");
    await import(/* webpackMode: "eager" */ "@tensorflow/tfjs-core/dist/register_all_gradients.js");
    await import(/* webpackMode: "eager" */ "@tensorflow/tfjs-backend-webgpu");
    return tf;
  },
  loadCotangent: async () => {
    const ct = await import(/* webpackMode: "eager" */ "@cotangent/runtime");
    const nn = await import(/* webpackMode: "eager" */ "@cotangent/nn");
    const { loss } = await import(/* webpackMode: "eager" */ "./gpu-loss.ts");
    return { ct, nn, loss };
  },
  versions: () => {
    let webgpu = "?";
    try {
      webgpu = __non_webpack_require__("webgpu/package.json").version;
    } catch {}
    return { webgpu, tfjsWebgpu: TFJS_WEBGPU_VERSION };
  },
};

await import(/* webpackMode: "eager" */ "./gpu.mjs");
