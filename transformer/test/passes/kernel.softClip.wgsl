// params: x, limit
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
  var v_x: f32 = p0;
  var v_limit: f32 = p1;
  return (v_limit * k_tanh((v_x / v_limit)));
}

fn partials(p0: f32, p1: f32) -> array<f32, 3> {
  var v_x: f32 = p0;
  var d0_x: f32 = 1.0;
  var d1_x: f32 = 0.0;
  var v_limit: f32 = p1;
  var d0_limit: f32 = 0.0;
  var d1_limit: f32 = 1.0;
  return array<f32, 3>((v_limit * k_tanh((v_x / v_limit))), ((k_tanh((v_x / v_limit)) * d0_limit) + (v_limit * ((1.0 - k_pow(k_tanh((v_x / v_limit)), 2.0)) * (((1.0 / v_limit) * d0_x) + ((-(v_x / (v_limit * v_limit))) * d0_limit))))), ((k_tanh((v_x / v_limit)) * d1_limit) + (v_limit * ((1.0 - k_pow(k_tanh((v_x / v_limit)), 2.0)) * (((1.0 / v_limit) * d1_x) + ((-(v_x / (v_limit * v_limit))) * d1_limit))))));
}

// the CPU's partials (JavaScript)
/*
function (p0, p1, out) {
  let v_x = p0;
  let d0_x = 1;
  let d1_x = 0;
  let v_limit = p1;
  let d0_limit = 0;
  let d1_limit = 1;
  {
    const r0 = (v_limit * Math.tanh((v_x / v_limit)));
    const r1 = ((Math.tanh((v_x / v_limit)) * d0_limit) + (v_limit * ((1 - (Math.tanh((v_x / v_limit)) ** 2)) * (((1 / v_limit) * d0_x) + ((-(v_x / (v_limit * v_limit))) * d0_limit)))));
    const r2 = ((Math.tanh((v_x / v_limit)) * d1_limit) + (v_limit * ((1 - (Math.tanh((v_x / v_limit)) ** 2)) * (((1 / v_limit) * d1_x) + ((-(v_x / (v_limit * v_limit))) * d1_limit)))));
    out[0] = r0;
    out[1] = r1;
    out[2] = r2;
    return;
  }
}
*/
