/**
 * Bit-level helpers for IEEE-754 binary64 (shared scratch buffer, no allocation per call).
 * The scratch words assume a little-endian host (checked once at load).
 */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const U64 = new BigUint64Array(F64.buffer);

F64[0] = 1;
if (U32[1] !== 0x3ff00000) throw new Error('cr libm: big-endian hosts are not supported');

/** high 32 bits of the binary representation (unsigned) */
export function hiWord(x: number): number {
  F64[0] = x;
  return U32[1]!;
}

export function fromWords(hi: number, lo: number): number {
  U32[1] = hi >>> 0;
  U32[0] = lo >>> 0;
  return F64[0]!;
}

export function bitsOf(x: number): bigint {
  F64[0] = x;
  return U64[0]!;
}

export function fromBits(b: bigint): number {
  U64[0] = BigInt.asUintN(64, b);
  return F64[0]!;
}

/** POW2[n + 1074] = 2^n exactly, for n in [-1074, 1023]. */
export const POW2 = new Float64Array(2098);
for (let n = -1074; n <= 1023; n++) {
  const b = n + 1074;
  POW2[n + 1074] = n >= -1022 ? fromWords((n + 1023) << 20, 0) : fromWords(b >= 32 ? 2 ** (b - 32) : 0, b < 32 ? 2 ** b : 0);
}

/** 2^n exactly for n in [-1074, 1023] */
export function pow2(n: number): number {
  return POW2[n + 1074]!;
}

/** a * 2^n for an exact-result or overflowing scaling (n in [-1074-60, 2100]). */
export function ldexp(a: number, n: number): number {
  while (n > 1023) {
    a *= POW2[1023 + 1074]!;
    n -= 1023;
  }
  if (n < -1022) {
    // two steps; the caller guarantees that the final result is representable (or rounds once)
    a *= POW2[-600 + 1074]!;
    n += 600;
  }
  return a * POW2[n + 1074]!;
}

/**
 * Exact decomposition of a finite nonzero double: x = m * 2^e with m a signed BigInt.
 * Normal numbers give |m| in [2^52, 2^53); subnormals give e = -1074.
 */
export function decompose(x: number): [bigint, number] {
  F64[0] = x;
  const hi = U32[1]!, lo = U32[0]!;
  const be = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (be === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = be - 1075;
  }
  return [hi >>> 31 ? -m : m, e];
}

/** Same as decompose but with an odd mantissa (x != 0). */
export function decomposeOdd(x: number): [bigint, number] {
  let [m, e] = decompose(x);
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e++;
  }
  return [m, e];
}

/** Signed distance from b to a in units in the last place, through the ordered bit patterns. */
export function ulpDiff(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const ord = (x: number): bigint => {
    const u = bitsOf(x);
    return u >> 63n ? -(u & 0x7fffffffffffffffn) : u;
  };
  return Number(ord(a) - ord(b));
}
