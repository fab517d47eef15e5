/**
 * What every model's set-up step is handed besides the options: the hooks of the run's
 * set-up (src/config/resolve.ts owns them) and the C's constants the steps share.
 *
 * Besides these, each step takes the precision kernel `P` (src/math/precision.ts) and the
 * run's `log` (the lines the C prints, in the order it prints them).
 */

/** Say where the set-up is, for a recorded run's math-call lines (the libm recorder's `where`). */
export type At = (where: string) => void;

/** Count `bytes` of memory for `what` (set by `flag`) against the run's budget; throws a FlagError past it. */
export type Claim = (flag: string, what: string, bytes: number) => void;

/** the C's DBL_MIN: what a zero divisor or volume is replaced by */
export const DBL_MIN = 2.2250738585072014e-308;
