/**
 * Shared switches and counters. `forceSlow` (tests only) sends every non-special argument to the
 * exact path; `slow` counts rounding-test failures (exact path taken), `huge` counts trig
 * arguments reduced by the exact Payne-Hanek reduction.
 */
export const crState = {
  forceSlow: false,
  slow: 0,
  huge: 0,
};
