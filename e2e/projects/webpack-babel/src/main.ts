// The application half: imports the marked functions and prints their derivatives, one
// `label = JSON` line each (e2e/test/build.test.ts reads them back).
import { derivative, differential, gradient, valueWithGradient } from "@cotangent/runtime";
import { Pendulum, clippedPower, cubePlusSine, pendulumScore, rosenbrock, sigmoid } from "./model.js";

function show(label: string, value: unknown): void {
  console.log(`${label} = ${JSON.stringify(value)}`);
}

show("gradient(rosenbrock)(0.5, 2)", gradient(rosenbrock)(0.5, 2));
show("valueWithGradient(rosenbrock)(-1.2, 1)", valueWithGradient(rosenbrock)(-1.2, 1));
show("derivative(sigmoid)(0.3)", derivative(sigmoid)(0.3));
show("gradient(clippedPower)(1.5, 4)", gradient(clippedPower)(1.5, 4));
show("derivative(cubePlusSine)(0.7)", derivative(cubePlusSine)(0.7));
show("derivative(pendulumScore)(0.4)", derivative(pendulumScore)(0.4));
// Second derivatives of imported functions: built at run time from what model.ts's build attached
// (both builds use the plugin option secondOrder: "exported").
show("derivative(derivative(sigmoid))(0.3)", derivative(derivative(sigmoid))(0.3));
show("differential(gradient(rosenbrock))(0.5, 2)(1, 0)", differential(gradient(rosenbrock))(0.5, 2)(1, 0));

const pendulum = new Pendulum(2, 9.81);
show("gradient(pendulum.energy)(0.4, 0.5)", gradient(pendulum.energy).call(pendulum, 0.4, 0.5));
