/**
 * One way to print numbers in every report (markdown, HTML pages, plot captions): the digits
 * that matter and no more. `fmt(4.3612e-5)` is `4.36e-5`, `fmt(0.25)` is `0.25`; a ratio near
 * 1 keeps the digits that show its distance from 1 (`fmtRatio(1.0013)` is `1.0013`,
 * `fmtRatio(1.0000000000000004)` is `1.0000000000000004`); a tolerance is printed the same
 * way wherever it appears (`fmtTol(1e-6)` is `1e-6`).
 */

/** Shortest form with `sig` significant digits: plain for 1e-3 ≤ |x| < 1e5, else `4.36e-5` (no `+`, no trailing zeros). */
export function fmt(x: number | null | undefined, sig = 3): string {
  if (x === null || x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) {
    if (Number.isInteger(x) || a >= 10 ** sig) return String(Math.round(x));
    const s = x.toPrecision(sig);
    return s.includes('e') ? expo(x, sig) : s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }
  return expo(x, sig);
}

function expo(x: number, sig: number): string {
  const [m, e] = x.toExponential(Math.max(0, sig - 1)).split('e');
  const mm = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
  return `${mm}e${e.replace(/^\+/, '')}`;
}

/** A ratio (or a correlation) near 1: enough decimals to show its distance from 1, two significant digits of that distance. */
export function fmtRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return fmt(r);
  const d = Math.abs(r - 1);
  if (d === 0) return '1';
  if (d >= 0.01) return fmt(r, 4);
  const decimals = Math.min(16, Math.ceil(-Math.log10(d)) + 1);
  return r.toFixed(decimals).replace(/0+$/, '').replace(/\.$/, '');
}

/** A tolerance: its exact short value (`1e-6`, `0.5`), printed the same everywhere. */
export function fmtTol(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return fmt(t, 6);
}

/** A signed relative difference from a ratio: `+1.3e-3`. */
export function fmtRelFromRatio(r: number): string {
  const d = r - 1;
  return d === 0 ? '0' : `${d > 0 ? '+' : '−'}${fmt(Math.abs(d), 2)}`;
}

/** A percentage with the digits that show how far it is from 100 % (`99.998%`, `100%`). */
export function fmtPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return fmt(fraction);
  if (fraction === 1) return '100%';
  const p = 100 * fraction;
  const d = 100 - p;
  const decimals = d > 0 && d < 1 ? Math.min(8, Math.ceil(-Math.log10(d)) + 1) : 1;
  return `${p.toFixed(decimals).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')}%`;
}

/**
 * The same numbers printed the same way in sentences written elsewhere (gate details, first
 * divergence): a tolerance `0.000001` becomes `1e-6`, `1.490e-9` becomes `1.49e-9`, `0.000e+0`
 * becomes `0`. Values printed at full precision on purpose (`0.10000000149011612`, a
 * correlation `0.9999999999287947`) stay as they are.
 */
export function tidyNumbers(text: string): string {
  return String(text)
    .replace(/(?<![\w.])-?\d\.\d+e[+-]?\d+(?![\w.])/g, (m) => fmt(Number(m)))
    .replace(/(?<![\w.])-?0\.0{4,}[1-9]\d{0,2}(?![\w.\d])/g, (m) => fmtTol(Number(m)));
}
