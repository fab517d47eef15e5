/**
 * A sine with a proven error bound, for the exact kernel (src/physics/kernel.ts).
 *
 * The C's libm sine cannot be reproduced bit for bit cheaply in JavaScript (an FFI call costs
 * 65–90 ns, a port of glibc's code with its fused multiply-adds about 40 ns). The exact
 * kernel does not need the same bits of every sine: it needs the same float32 pixel. So it
 * computes the sine here, in about 8 ns, with a relative error it can bound, carries the
 * bound to the pixel, and renders again with the run's libm every pixel whose float32 value
 * the bound cannot decide.
 *
 * `sinApprox(x)`: n = nearest integer to x/π, r = x − nπ with π in three parts (Cody–Waite),
 * sin x = (−1)ⁿ·sin r with the Taylor polynomial of sin to degree 21 on |r| ≤ π/2 (wasm/kernel.ts
 * computes the same operations, two lanes at a time).
 * Error against the true sine, relative (u = 2⁻⁵³):
 *  - reduction: for |n| < 2²⁰, n·Q1 and n·Q2 are exact (33-bit parts), x − n·Q1 is exact
 *    (Sterbenz), the two remaining subtractions round (≤ 2u|r|), n·Q3 rounds (≤ 2⁻¹⁰⁰), and
 *    π − (Q1+Q2+Q3) ≤ 2⁻¹²¹ contributes ≤ 2⁻¹⁰¹: |r − (x − nπ)| ≤ 2u|r| + 2⁻⁹⁹. With
 *    |r| ≥ 2⁻⁴⁰ (or n = 0, where r = x exactly) that is ≤ 2.1u relative, and sin's condition
 *    number r·cot r ≤ 1 on |r| ≤ π/2 carries it to the result unchanged;
 *  - truncation: |r|²³/23! ≤ 2⁻⁵⁹ relative on |r| ≤ π/2;
 *  - evaluation: Q(z) on z = r² ≤ 2.47 by Estrin's scheme (pairs, then z², z⁴, z⁸; at most 8
 *    roundings on any path), alternating, fast-falling terms: the correction r·z·Q(z) (≤ 0.41|r|)
 *    has relative error ≤ 29u (bounded as for Horner, γ₂₀ · Σ|T|zᵏ / |Q(z)| ≤ 20u · 0.189/0.146,
 *    plus 3 roundings; Estrin's γ is smaller), i.e. ≤ 12u|r| ≤ 19u|sin r|; the last addition rounds (u).
 *  Total ≤ 23u; SIN_APPROX_REL_ERROR = 32u. Outside |x| < 2²⁰·π/2 or |r| ≥ 2⁻⁴⁰ the result is
 *  NaN, so whatever used it fails its check and takes the exact path.
 * tests/kernel.test.ts measures the error against Math.sin on a million arguments.
 */

const U = 2 ** -53;
/** the bound on |sinApprox(x) − sin(x)| / |sin(x)| wherever sinApprox is not NaN */
export const SIN_APPROX_REL_ERROR = 32 * U;

const INV_PI = 0.318309886183790671538;
// 2·(fdlibm's pio2_1, pio2_2, pio2_2t): π in a 33-bit, a 33-bit and a 53-bit part
const Q1 = 3.14159265346825122833e+00, Q2 = 1.21542010126079319532e-10, Q3 = 4.04453249759190126308e-21;
/** 1.5·2⁵²: adding and subtracting it rounds to the nearest integer (ties to even) */
const MAGIC = 6755399441055744;
const X_MAX = 2 ** 20 * 1.5707963267948966;
const R_MIN = 2 ** -40;
const T3 = -1 / 6, T5 = 1 / 120, T7 = -1 / 5040, T9 = 1 / 362880, T11 = -1 / 39916800, T13 = 1 / 6227020800,
  T15 = -1 / 1307674368000, T17 = 1 / 355687428096000, T19 = -1 / 121645100408832000, T21 = 1 / 51090942171709440000;

/**
 * sin(x) within SIN_APPROX_REL_ERROR, or NaN where that is not proven (see above). Branch-free on
 * its usual path. The sign of a zero is not kept (sinApprox(−0) is +0): the lattice factor never
 * asks (x == 0 is N there), and kernel.ts checkedSines answers ±0 itself.
 */
export function sinApprox(x: number): number {
  const n = (x * INV_PI + MAGIC) - MAGIC;
  const r = ((x - n * Q1) - n * Q2) - n * Q3;
  const z = r * r;
  // Estrin's scheme: shorter dependency chains than Horner, the same bound
  const z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  const p = (((T3 + z * T5) + (T7 + z * T9) * z2) + ((T11 + z * T13) + (T15 + z * T17) * z2) * z4) + (T19 + z * T21) * z8;
  const s = r + (r * z) * p;
  const h = n * 0.5;
  const v = s * (1 - 4 * (h - Math.floor(h)));
  // one predictable test: |x| in range and |r| ≥ R_MIN (r = x exactly when n = 0, so a small x passes through r_ok)
  return (Math.abs(x) < X_MAX && (Math.abs(r) >= R_MIN || n === 0)) ? v : NaN;
}

/**
 * The opt-in fast path's lattice factor (--fast): sincg(πh, N) = sin(Nπh)/sin(πh) from the
 * fractional part δ = h − round(h): sin(Nπh)/sin(πh) = (−1)^(n(N−1)) · U_{N−1}(cos πδ), with the
 * Chebyshev recurrence U_k = 2c·U_{k−1} − U_{k−2} for N ≤ 16 and the sine ratio of the reduced
 * argument above, and cos πδ from its Taylor polynomial to degree 14. It is not the C's
 * arithmetic: it differs from sin(Nπh)/sin(πh) by at most about 1e-9·N² (absolute; the
 * polynomial's remainder, through the recurrence), relatively more only near the zeros of the
 * numerator, where the pixel is faint anyway.
 */
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40320, C10 = -1 / 3628800, C12 = 1 / 479001600,
  C14 = -1 / 87178291200;
export function sincgFast(h: number, N: number): number {
  const n = (h + MAGIC) - MAGIC;
  const t = 3.141592653589793 * (h - n);
  if (t === 0) return h === 0 ? N : ((n * (N - 1)) % 2 === 0 ? N : -N);
  const z = t * t;
  // cos πδ to degree 14: the remainder is at most (π/2)¹⁶/16! ≈ 7e-11, far below --fast's bounds
  const c = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * C14))))));
  let u: number;
  if (N <= 16) {
    const c2 = c + c;
    let u0 = 1, u1 = c2;
    for (let k = 2; k < N; k++) { const u2 = c2 * u1 - u0; u0 = u1; u1 = u2; }
    u = N === 1 ? 1 : u1;
  } else {
    u = sinApprox(N * t) / sinApprox(t);
  }
  const m = n * (N - 1) * 0.5;
  return m === Math.floor(m) ? u : -u;
}
