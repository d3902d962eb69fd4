// Input of the kernel pass's golden test (../passes.test.ts): each function's WGSL is compared with
// kernel.<name>.wgsl.

export function softClip(x: number, limit: number): number {
  return limit * Math.tanh(x / limit);
}

export function branchy(r: number, eps: number): number {
  if (r > 2.5) return 0;
  let e = 4 * eps * r ** -12;
  for (let k = 0; k < 3; k++) {
    e += 0.01 * Math.sin(k * r);
  }
  return r < 0.9 ? e + (0.9 - r) ** 2 : Math.max(e, -1);
}
