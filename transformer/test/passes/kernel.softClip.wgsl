// params: x, limit
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
