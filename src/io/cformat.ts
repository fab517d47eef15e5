/**
 * C printf conversions the outputs and logs need, with glibc's results: %g and %f (with
 * precision and width) and %d. A double is expanded to its exact decimal value and rounded
 * half to even, as glibc does (JavaScript's toFixed/toExponential round exact ties away from
 * zero: 0.0078125 is "0.007812" in C, "0.007813" in JavaScript).
 */

/** |x| = digits × 10^exp10 exactly (x finite, not zero). */
function exactDecimal(x: number): { digits: bigint; exp10: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0), lo = buf.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) e2 = -1074; else { mant |= 1n << 52n; e2 = biased - 1075; }
  if (e2 >= 0) return { digits: mant << BigInt(e2), exp10: 0 };
  return { digits: mant * 5n ** BigInt(-e2), exp10: e2 };
}

/** round(digits × 10^shift) half to even */
function scaleRound(digits: bigint, shift: number): bigint {
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const d = 10n ** BigInt(-shift);
  const q = digits / d, r = digits % d, twice = 2n * r;
  return twice > d || (twice === d && (q & 1n) === 1n) ? q + 1n : q;
}

const signView = new DataView(new ArrayBuffer(8));
function special(x: number): string | null {
  // glibc prints a NaN's sign bit: "-nan" (x86's default NaN, e.g. 0/0, is negative)
  if (Number.isNaN(x)) { signView.setFloat64(0, x); return signView.getUint8(0) & 0x80 ? '-nan' : 'nan'; }
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  return null;
}

const sign = (x: number) => (x < 0 || Object.is(x, -0) ? '-' : '');
const pad = (s: string, width: number, left = false) => (left ? s.padEnd(width) : s.padStart(width));

/** C's `%{width}.{prec}f`. */
export function cfmtF(x: number, prec = 6, width = 0): string {
  const sp = special(x);
  if (sp !== null) return pad(sp, width);
  let body: string;
  if (x === 0) body = prec ? `0.${'0'.repeat(prec)}` : '0';
  else {
    const { digits, exp10 } = exactDecimal(x);
    const n = scaleRound(digits, exp10 + prec).toString().padStart(prec + 1, '0');
    body = prec ? `${n.slice(0, n.length - prec)}.${n.slice(n.length - prec)}` : n;
  }
  return pad(sign(x) + body, width);
}

/** C's `%{width}.{prec}g`. */
export function cfmtG(x: number, prec = 6, width = 0): string {
  const sp = special(x);
  if (sp !== null) return pad(sp, width);
  const P = prec === 0 ? 1 : prec;
  if (x === 0) return pad(sign(x) + '0', width);
  const { digits, exp10 } = exactDecimal(x);
  let X = digits.toString().length - 1 + exp10; // decimal exponent of |x|
  let n = scaleRound(digits, exp10 - (X - (P - 1)));
  if (n.toString().length > P) { n /= 10n; X += 1; } // 9.99… rounded up to 10.0…
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  let body: string;
  if (X < -4 || X >= P) {
    const s = n.toString();
    body = `${strip(P > 1 ? `${s[0]}.${s.slice(1)}` : s)}e${X < 0 ? '-' : '+'}${String(Math.abs(X)).padStart(2, '0')}`;
  } else {
    const decimals = P - 1 - X;
    const s = n.toString().padStart(decimals + 1, '0');
    body = strip(decimals ? `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}` : s);
  }
  return pad(sign(x) + body, width);
}

/** C's `%{width}d` (`-width`: left-justified, as `%-{width}d`/`%-{width}s`). */
export function cfmtD(n: number, width = 0): string {
  return width < 0 ? pad(String(n), -width, true) : pad(String(n), width);
}
