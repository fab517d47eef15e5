/** Constants shared by every layer (the C's own definitions). */

/** degrees per radian, as nanoBragg.c defines RTD */
export const RTD = 180.0 * (1 / Math.PI);

/**
 * The C's conversion of a double to int on x86-64 (`int n = x;`, cvttsd2si): truncation
 * toward zero, and INT_MIN ("integer indefinite") for NaN, ±infinity and anything outside
 * the int range. nanoBragg.c's derived counts (pixels, φ steps, divergence steps, the
 * recommended oversample) go through it, so -lambda 0 gives an oversample of INT_MIN, which
 * the C then clamps to 1.
 */
export function cInt(x: number): number {
  if (!Number.isFinite(x) || x >= 2147483648 || x <= -2147483649) return -2147483648;
  return Math.trunc(x);
}
