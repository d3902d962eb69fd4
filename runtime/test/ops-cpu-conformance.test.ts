// The backend conformance suite (./backend-conformance.ts) on the CPU backend itself: the
// reference passes its own suite, with its capabilities (synchronous reads, so numbers and the
// derivatives with respect to number arguments are compared instead of expected to throw).

import { cpuBackend } from "../src/backends/cpu/index";
import { describeBackend } from "./backend-conformance";

describeBackend({ name: "cpu", start: async () => cpuBackend });
