// params: r, eps
// (Through a var: a constant NaN or ∞ is a WGSL compile error.)
fn k_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn k_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn k_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn k_log(x: f32) -> f32 { if (x < 0.0) { return k_nan(); } if (x == 0.0) { return -k_inf(); } return log(x); }
fn k_log1p(x: f32) -> f32 { let u = 1.0 + x; if (u == 1.0) { return x; } return k_log(u) * x / (u - 1.0); }
fn k_log2(x: f32) -> f32 { return k_log(x) * 1.4426950408889634; }
fn k_log10(x: f32) -> f32 { return k_log(x) * 0.4342944819032518; }
fn k_expm1(x: f32) -> f32 { if (abs(x) < 1e-5) { return x + 0.5 * x * x; } return exp(x) - 1.0; }
fn k_tanh(x: f32) -> f32 { if (x > 10.0) { return 1.0; } if (x < -10.0) { return -1.0; } return tanh(x); }
fn k_cbrt(x: f32) -> f32 { return sign(x) * pow(abs(x), 1.0 / 3.0); }
fn k_round(x: f32) -> f32 { return floor(x + 0.5); }
fn k_hypot(a: f32, b: f32) -> f32 { return sqrt(a * a + b * b); }
fn k_max(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return k_nan(); } return max(a, b); }
fn k_min(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return k_nan(); } return min(a, b); }
fn k_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a >= 0.0) { return pow(a, b); }
  if (b != trunc(b)) { return k_nan(); }
  let r = pow(-a, b);
  if (b - 2.0 * trunc(b / 2.0) != 0.0) { return -r; }
  return r;
}

fn kernel(p0: f32, p1: f32) -> f32 {
  var v_r: f32 = p0;
  var v_eps: f32 = p1;
  if ((v_r > 2.5)) {
    return 0.0;
  }
  var v_e: f32 = ((4.0 * v_eps) * k_pow(v_r, (-12.0)));
  {
    var v_k: f32 = 0.0;
    loop {
      if (!((v_k < 3.0))) { break; }
      v_e = (v_e + (0.01 * sin((v_k * v_r))));
      continuing {
        v_k = (v_k + 1.0);
      }
    }
  }
  return select(k_max(v_e, (-1.0)), (v_e + k_pow((0.9 - v_r), 2.0)), (v_r < 0.9));
}

fn partials(p0: f32, p1: f32) -> array<f32, 3> {
  var v_r: f32 = p0;
  var d0_r: f32 = 1.0;
  var d1_r: f32 = 0.0;
  var v_eps: f32 = p1;
  var d0_eps: f32 = 0.0;
  var d1_eps: f32 = 1.0;
  if ((v_r > 2.5)) {
    return array<f32, 3>(0.0, 0.0, 0.0);
  }
  let t0_e_0 = ((k_pow(v_r, (-12.0)) * (4.0 * d0_eps)) + ((4.0 * v_eps) * (select(((-12.0) * k_pow(v_r, ((-12.0) - 1.0))), 0.0, ((-12.0) == 0.0)) * d0_r)));
  let t1_e_0 = ((k_pow(v_r, (-12.0)) * (4.0 * d1_eps)) + ((4.0 * v_eps) * (select(((-12.0) * k_pow(v_r, ((-12.0) - 1.0))), 0.0, ((-12.0) == 0.0)) * d1_r)));
  var v_e: f32 = ((4.0 * v_eps) * k_pow(v_r, (-12.0)));
  var d0_e: f32 = t0_e_0;
  var d1_e: f32 = t1_e_0;
  {
    let t0_k_1 = 0.0;
    let t1_k_1 = 0.0;
    var v_k: f32 = 0.0;
    var d0_k: f32 = t0_k_1;
    var d1_k: f32 = t1_k_1;
    loop {
      if (!((v_k < 3.0))) { break; }
      let t0_e_2 = (d0_e + (0.01 * (cos((v_k * v_r)) * ((v_r * d0_k) + (v_k * d0_r)))));
      let t1_e_2 = (d1_e + (0.01 * (cos((v_k * v_r)) * ((v_r * d1_k) + (v_k * d1_r)))));
      v_e = (v_e + (0.01 * sin((v_k * v_r))));
      d0_e = t0_e_2;
      d1_e = t1_e_2;
      continuing {
        let t0_k_3 = d0_k;
        let t1_k_3 = d1_k;
        v_k = (v_k + 1.0);
        d0_k = t0_k_3;
        d1_k = t1_k_3;
      }
    }
  }
  return array<f32, 3>(select(k_max(v_e, (-1.0)), (v_e + k_pow((0.9 - v_r), 2.0)), (v_r < 0.9)), select((select(0.0, 1.0, (v_e >= (-1.0))) * d0_e), (d0_e + ((2.0 * k_pow((0.9 - v_r), 1.0)) * (-d0_r))), (v_r < 0.9)), select((select(0.0, 1.0, (v_e >= (-1.0))) * d1_e), (d1_e + ((2.0 * k_pow((0.9 - v_r), 1.0)) * (-d1_r))), (v_r < 0.9)));
}

// the CPU's partials (JavaScript)
/*
function (p0, p1, out) {
  let v_r = p0;
  let d0_r = 1;
  let d1_r = 0;
  let v_eps = p1;
  let d0_eps = 0;
  let d1_eps = 1;
  if ((v_r > 2.5)) {
    {
      const r0 = 0;
      const r1 = 0;
      const r2 = 0;
      out[0] = r0;
      out[1] = r1;
      out[2] = r2;
      return;
    }
  }
  const t0_e_0 = (((v_r ** (-12)) * (4 * d0_eps)) + ((4 * v_eps) * ((((-12) === 0) ? 0 : ((-12) * (v_r ** ((-12) - 1)))) * d0_r)));
  const t1_e_0 = (((v_r ** (-12)) * (4 * d1_eps)) + ((4 * v_eps) * ((((-12) === 0) ? 0 : ((-12) * (v_r ** ((-12) - 1)))) * d1_r)));
  let v_e = ((4 * v_eps) * (v_r ** (-12)));
  let d0_e = t0_e_0;
  let d1_e = t1_e_0;
  {
    const t0_k_1 = 0;
    const t1_k_1 = 0;
    let v_k = 0;
    let d0_k = t0_k_1;
    let d1_k = t1_k_1;
    for (;;) {
      if (!((v_k < 3))) { break; }
      const t0_e_2 = (d0_e + (0.01 * (Math.cos((v_k * v_r)) * ((v_r * d0_k) + (v_k * d0_r)))));
      const t1_e_2 = (d1_e + (0.01 * (Math.cos((v_k * v_r)) * ((v_r * d1_k) + (v_k * d1_r)))));
      v_e = (v_e + (0.01 * Math.sin((v_k * v_r))));
      d0_e = t0_e_2;
      d1_e = t1_e_2;
      const t0_k_3 = d0_k;
      const t1_k_3 = d1_k;
      v_k = (v_k + 1);
      d0_k = t0_k_3;
      d1_k = t1_k_3;
    }
  }
  {
    const r0 = ((v_r < 0.9) ? (v_e + ((0.9 - v_r) ** 2)) : Math.max(v_e, (-1)));
    const r1 = ((v_r < 0.9) ? (d0_e + ((2 * ((0.9 - v_r) ** 1)) * (-d0_r))) : (((v_e >= (-1)) ? 1 : 0) * d0_e));
    const r2 = ((v_r < 0.9) ? (d1_e + ((2 * ((0.9 - v_r) ** 1)) * (-d1_r))) : (((v_e >= (-1)) ? 1 : 0) * d1_e));
    out[0] = r0;
    out[1] = r1;
    out[2] = r2;
    return;
  }
}
*/
