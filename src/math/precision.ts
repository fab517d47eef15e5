/**
 * Precision kernels. The whole pipeline is written once, with every arithmetic
 * result passed through `r` and every math-library call taken from the kernel.
 *
 * - float64: `r` is the identity and the libm functions are V8's; this follows the
 *   C's double arithmetic (the C's float-typed spots are emulated explicitly with
 *   `Math.fround`, whatever the kernel).
 * - float32: `r` is `Math.fround`; every operand, every result and every math-function
 *   result is rounded to float32, as a float32 tensor library would compute.
 *
 * The kernel is chosen once per run; hot loops never branch on it.
 */
export type Dtype = 'float64' | 'float32';

export interface Precision {
  readonly dtype: Dtype;
  /** round one arithmetic result to the working precision */
  readonly r: (x: number) => number;
  readonly sin: (x: number) => number;
  readonly cos: (x: number) => number;
  readonly tan: (x: number) => number;
  readonly sqrt: (x: number) => number;
  readonly exp: (x: number) => number;
  readonly log: (x: number) => number;
  readonly atan2: (y: number, x: number) => number;
}

const identity = (x: number): number => x;

export const F64: Precision = Object.freeze({
  dtype: 'float64',
  r: identity,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  atan2: Math.atan2,
});

const f = Math.fround;

export const F32: Precision = Object.freeze({
  dtype: 'float32',
  r: f,
  sin: (x: number) => f(Math.sin(x)),
  cos: (x: number) => f(Math.cos(x)),
  tan: (x: number) => f(Math.tan(x)),
  sqrt: (x: number) => f(Math.sqrt(x)),
  exp: (x: number) => f(Math.exp(x)),
  log: (x: number) => f(Math.log(x)),
  atan2: (y: number, x: number) => f(Math.atan2(y, x)),
});

export function precisionFor(dtype: Dtype): Precision {
  return dtype === 'float32' ? F32 : F64;
}

/** C's powf on float arguments: pow in double of the float inputs, rounded to float. */
export function powf(x: number, y: number): number {
  return f(Math.pow(f(x), f(y)));
}

/** C's floorf applied to a double argument (converted to float first). */
export function floorf(x: number): number {
  return Math.floor(f(x));
}

/** C's `(int) ceil(x - 0.5)`: nearest integer, ties rounded down. */
export function nearestIntTiesDown(x: number): number {
  return Math.ceil(x - 0.5);
}
