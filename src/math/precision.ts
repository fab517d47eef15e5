/**
 * Precision kernels. The whole pipeline is written once, with every arithmetic
 * result passed through `r` and every math-library call taken from the kernel.
 *
 * - float64: `r` is the identity and the math functions are the run's libm provider's
 *   (src/math/libm); this follows the C's double arithmetic (the C's float-typed spots are
 *   emulated explicitly with `Math.fround`, whatever the kernel).
 * - float32: `r` is `Math.fround`; every operand, every result and every math-function
 *   result (computed by the same provider in double, then rounded) is rounded to float32,
 *   as a float32 tensor library would compute.
 *
 * The kernel is chosen once per run; hot loops never branch on it.
 */
import type { Libm } from './libm/index.js';
import type { LibmRecorder } from './libm/record.js';

export type Dtype = 'float64' | 'float32';

export interface Precision {
  readonly dtype: Dtype;
  /** the math functions' provider (its results, before any rounding to float32) */
  readonly libm: Libm;
  /** round one arithmetic result to the working precision */
  readonly r: (x: number) => number;
  readonly sin: (x: number) => number;
  readonly cos: (x: number) => number;
  readonly tan: (x: number) => number;
  readonly sqrt: (x: number) => number;
  readonly exp: (x: number) => number;
  readonly log: (x: number) => number;
  readonly acos: (x: number) => number;
  readonly atan2: (y: number, x: number) => number;
  /** set when the run records its math calls (--libm-log): callers say where they are, renderers switch it per pixel */
  readonly recorder?: LibmRecorder;
}

const identity = (x: number): number => x;
const f = Math.fround;

/** The kernel for a dtype over a provider; with a recorder, every call of the provider goes through it. */
export function precisionFor(dtype: Dtype, provider: Libm, recorder?: LibmRecorder): Precision {
  const libm = recorder ? recorder.wrap(provider) : provider;
  const L = libm;
  if (dtype === 'float64') {
    return Object.freeze({ dtype, libm, recorder, r: identity, sin: L.sin, cos: L.cos, tan: L.tan, sqrt: Math.sqrt, exp: L.exp, log: L.log, acos: L.acos, atan2: L.atan2 });
  }
  return Object.freeze({
    dtype, libm, recorder, r: f,
    sin: (x: number) => f(L.sin(x)),
    cos: (x: number) => f(L.cos(x)),
    tan: (x: number) => f(L.tan(x)),
    sqrt: (x: number) => f(Math.sqrt(x)),
    exp: (x: number) => f(L.exp(x)),
    log: (x: number) => f(L.log(x)),
    acos: (x: number) => f(L.acos(x)),
    atan2: (y: number, x: number) => f(L.atan2(y, x)),
  });
}

/** C's floorf applied to a double argument (converted to float first). */
export function floorf(x: number): number {
  return Math.floor(f(x));
}

/** C's `(int) ceil(x - 0.5)`: nearest integer, ties rounded down. */
export function nearestIntTiesDown(x: number): number {
  return Math.ceil(x - 0.5);
}
