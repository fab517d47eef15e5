/**
 * Correctly rounded (round to nearest, ties to even, for every input) binary64 versions of
 * sin, cos, tan, exp, log, atan2, acos and pow, in the CORE-MATH style:
 *  - a fast path in double-double arithmetic with a proven error bound (see each module),
 *  - a rounding test: the fast result is returned only when the rounding of
 *    (hi + lo -+ bound) agrees (bounds are >= 4x the proven ones),
 *  - otherwise an exact path on BigInt fixed point (Ziv's loop from 128 bits upward, with
 *    pi, ln 2 and 1/pi computed by Machin-type series), which also covers exact and midpoint
 *    results of pow, and Payne-Hanek reduction of huge trigonometric arguments.
 * Special values follow C99 Annex F / glibc (pow(1, NaN) = 1, pow(-1, +-inf) = 1, ...).
 * The fast paths allocate nothing; results travel through module-level scratch variables.
 * Tables (about 1.5k doubles) are built lazily from the BigInt kernel on first use (~3-10 ms each).
 *
 * Measured (Node 20, 1e6 random arguments each): no exact-path call for sin/cos/tan on
 * [-1e5, 1e5], exp on [-745, 710], log over all binades, atan2, acos, pow on [1e-3,1e3]x[-50,50].
 * Structural exceptions, still correct but slower (~30 us): log(x) and pow(x, y) for x within
 * ~2^-40 of 1 (log1p(z) ~ z - z^2/2 sits next to a midpoint), exact/midpoint pow results,
 * atan2 results exactly at a subnormal midpoint; trig arguments with |x| >= 2^17 use the exact
 * Payne-Hanek reduction (~1-3 us) before the double-double evaluation.
 */
import { crSin, crCos, crTan, getTrigSplit, setTrigSplit } from './cr/trig.js';
import { crExp } from './cr/exp.js';
import { crLog } from './cr/log.js';
import { crAtan2, crAcos } from './cr/atan.js';
import { crPow } from './cr/pow.js';
import { crState } from './cr/state.js';
import { slowAcos, slowAtan2, slowExp, slowLog, slowPow, slowTrig } from './cr/slow.js';
import { ln2Fix, piFix, invPiFix } from './cr/big.js';

export { ulpDiff } from './cr/bits.js';

export const crLibm: {
  readonly sin: (x: number) => number;
  readonly cos: (x: number) => number;
  readonly tan: (x: number) => number;
  readonly exp: (x: number) => number;
  readonly log: (x: number) => number;
  readonly atan2: (y: number, x: number) => number;
  readonly acos: (x: number) => number;
  readonly pow: (x: number, y: number) => number;
} = Object.freeze({
  sin: crSin,
  cos: crCos,
  tan: crTan,
  exp: crExp,
  log: crLog,
  atan2: crAtan2,
  acos: crAcos,
  pow: crPow,
});

/** Test hooks: not part of the numerical API. */
export const crTestHooks = {
  /** counters (slow = exact-path calls, huge = BigInt trig reductions) and the force switch */
  state: crState,
  /** run fn with every non-special argument sent to the exact path */
  withSlowPath<T>(fn: () => T): T {
    const prev = crState.forceSlow;
    crState.forceSlow = true;
    try {
      return fn();
    } finally {
      crState.forceSlow = prev;
    }
  },
  /** the exact paths alone (arguments must be finite, nonzero, inside the non-trivial range) */
  slow: {
    sin: (x: number) => slowTrig(x, 0),
    cos: (x: number) => slowTrig(x, 1),
    tan: (x: number) => slowTrig(x, 2),
    exp: slowExp,
    log: slowLog,
    atan2: slowAtan2,
    acos: slowAcos,
    pow: slowPow,
  },
  /** the four parts of pi/1024 of the fast Cody-Waite reduction; set(null) restores them */
  getTrigSplit,
  setTrigSplit,
  /** BigInt constants: floor-ish pi 2^W, ln2 2^W, 2^W/pi (each within 2 units) */
  piFix,
  ln2Fix,
  invPiFix,
};
