// Runs a property over generated programs and says how many were actually checked. fast-check's
// `interruptAfterTimeLimit` alone counts an interrupted run as a success, so a slow machine would
// pass having checked a fraction of the programs; here an interruption fails the test (with the
// number checked), and so do skips (points where finite differences are unreliable) above a bound.

import fc from "fast-check";

export interface PropertyRun {
  seed: number;
  /** Programs to check: the test's stated count. */
  numRuns: number;
  /** Wall-clock bound; running out of it is a failure, not a pass. */
  timeLimitMs: number;
  /** The largest share of the stated count that may be skipped (fc.pre) before the test fails. */
  maxSkippedShare: number;
}

/** Runs `check` on programs from `arb`; a failure reports where (`context`) besides its message. Returns the counts. */
export function runProperty<P>(
  arb: fc.Arbitrary<P>,
  check: (p: P) => void,
  context: (p: P) => string,
  run: PropertyRun,
): { checked: number; skipped: number } {
  const details = fc.check(
    fc.property(arb, (p) => {
      try {
        check(p);
      } catch (e: any) {
        if (fc.PreconditionFailure.isFailure(e)) throw e;
        throw new Error(`${e?.message ?? e}\n${context(p)}`);
      }
    }),
    { seed: run.seed, numRuns: run.numRuns, maxSkipsPerRun: 100, interruptAfterTimeLimit: run.timeLimitMs, markInterruptAsFailure: true },
  );
  const checked = details.numRuns;
  const skipped = details.numSkips;
  if (details.interrupted)
    throw new Error(`interrupted after ${run.timeLimitMs} ms having checked ${checked} of ${run.numRuns} programs (${skipped} skipped): the stated count was not reached`);
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? "property failed");
  if (skipped > run.maxSkippedShare * run.numRuns)
    throw new Error(`${skipped} points skipped for ${run.numRuns} programs: more than the bound of ${Math.round(run.maxSkippedShare * 100)}%, so too little was checked`);
  // eslint-disable-next-line no-console
  console.info(`checked ${checked} of ${run.numRuns} programs (seed ${run.seed}), ${skipped} points skipped`);
  return { checked, skipped };
}
