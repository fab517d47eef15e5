/**
 * pow: special cases of C99 Annex F, then |x|^y = exp(y log|x|) in double-double with a
 * rounding test, exact fallback (which also resolves exact and midpoint results).
 *
 * Error: log|x| ~ LH + LL with relative error <= 2^-92 (log.ts), so t = y log|x| carries
 * <= |t| 2^-92 from the logarithm plus <= |t| 2^-104 from the product y (LH + LL) (Dekker
 * product, y LL rounded). exp of a double-double argument adds <= 2^-91.5 (exp.ts). The result
 * 2^EQ (EH + EL) is thus within (2^-91.5 + |t| 2^-91.9) relative; the rounding test uses
 * (2^-89 + |t| 2^-88) EH.
 */
import { EH, EL, EQ, expCore, finishScaled } from './exp.js';
import { LH, LL, logCore } from './log.js';
import { crState } from './state.js';
import { slowPow } from './slow.js';

const SPLIT = 134217729;
const POW_TEST_ERR = 2 ** -89;
const POW_TEST_ERR_T = 2 ** -88;
const TWO64 = 18446744073709551616;

function isOddInteger(y: number): boolean {
  return Math.abs(y) < 9007199254740992 && y % 2 !== 0 && Number.isInteger(y);
}

export function crPow(x: number, y: number): number {
  if (y === 0) return 1; // pow(x, +-0) = 1 for any x, even NaN
  if (x === 1) return 1; // pow(+1, y) = 1 for any y, even NaN
  if (x !== x || y !== y) return NaN;
  const ay = Math.abs(y);
  if (x === 0) {
    const odd = isOddInteger(y);
    if (y < 0) return odd && Object.is(x, -0) ? -Infinity : Infinity; // pow(+-0, y<0)
    return odd ? x : 0; // pow(+-0, y>0)
  }
  if (ay === Infinity) {
    const ax = Math.abs(x);
    if (ax === 1) return 1; // pow(-1, +-inf) = 1
    return ax > 1 === y > 0 ? Infinity : 0;
  }
  if (x === Infinity) return y > 0 ? Infinity : 0;
  if (x === -Infinity) {
    const odd = isOddInteger(y);
    if (y > 0) return odd ? -Infinity : Infinity;
    return odd ? -0 : 0;
  }
  // finite x != 0, finite y != 0
  let sign = 1;
  let ax = x;
  if (x < 0) {
    if (!Number.isInteger(y)) return NaN; // negative base, non-integer exponent
    if (isOddInteger(y)) sign = -1;
    ax = -x;
  }
  if (ax === 1) return sign;
  if (ay > TWO64) {
    // |log ax| >= 2^-53 for ax != 1, so |y log ax| >= 2^11: overflow or underflow
    return ax > 1 === y > 0 ? sign * Infinity : sign * 0;
  }
  logCore(ax);
  // t = y (LH + LL): Dekker product y LH, plus y LL
  let c = SPLIT * y;
  const y1 = c - (c - y);
  const y2 = y - y1;
  c = SPLIT * LH;
  const l1 = c - (c - LH);
  const l2 = LH - l1;
  const p = y * LH;
  const pe = y1 * l1 - p + y1 * l2 + y2 * l1 + y2 * l2 + y * LL;
  const th = p + pe;
  const tl = pe - (th - p);
  if (th > 709.8) return sign * Infinity; // |y log x| > 709.79 > log(2^1024)
  if (th < -745.2) return sign * 0; // below log(2^-1075)
  if (Math.abs(th) < 8.673617379884035e-19) return sign; // |t| < 2^-60: rounds to 1
  if (crState.forceSlow) return slowPow(x, y);
  expCore(th, tl);
  const r = finishScaled(EH, EL, (POW_TEST_ERR + Math.abs(th) * POW_TEST_ERR_T) * EH, EQ);
  return r === r ? sign * r : slowPow(x, y);
}
