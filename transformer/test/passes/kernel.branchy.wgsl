// params: r, eps
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
