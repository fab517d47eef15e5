/**
 * The engine's math library: every transcendental function the simulation calls goes through
 * one `Libm`, chosen per run (`--libm`), so the last bit of each result is a decision, not an
 * accident of the JavaScript engine.
 *
 *  - `system`: this machine's C library (koffi FFI). A C built here calls the same code, so
 *    its results are the C's bits. The default when it loads.
 *  - `cr`: correctly rounded, in TypeScript (src/math/libm/cr.ts). glibc is correctly rounded
 *    for nearly every argument, so this is the portable way to the C's bits; the default
 *    when `system` cannot load.
 *  - `v8`: JavaScript's `Math.*` (fdlibm-derived, differs from glibc in the last bit for a
 *    few per cent of arguments). Fastest.
 *
 * sqrt is not here: IEEE 754 makes it correctly rounded everywhere.
 */
import { createRequire } from 'node:module';
import type * as CrCode from './cr.js';
import { crEager } from './cr-eager.js';
import { LibmUnavailableError, loadSystemLibm } from './system.js';

export { LibmUnavailableError } from './system.js';

export type LibmName = 'system' | 'cr' | 'v8';
export const LIBM_NAMES: readonly LibmName[] = ['system', 'cr', 'v8'];

export interface Libm {
  readonly name: LibmName;
  /** what exactly answers the calls, e.g. "glibc 2.36 libm.so.6 via koffi 3.3.4" */
  readonly detail: string;
  readonly sin: (x: number) => number;
  readonly cos: (x: number) => number;
  readonly tan: (x: number) => number;
  readonly exp: (x: number) => number;
  readonly log: (x: number) => number;
  readonly acos: (x: number) => number;
  readonly atan2: (y: number, x: number) => number;
  readonly pow: (x: number, y: number) => number;
  /** C's powf(float, float): float arguments, float result */
  readonly powf: (x: number, y: number) => number;
}

/** the functions a Libm provides, in the order traces and reports list them */
export const LIBM_FUNCTIONS = ['sin', 'cos', 'tan', 'exp', 'log', 'acos', 'atan2', 'pow', 'powf'] as const;
export type LibmFunction = typeof LIBM_FUNCTIONS[number];

const f = Math.fround;

/**
 * NaN results with glibc's sign and payload. An FFI return (koffi) loses the sign of a NaN, and
 * a NaN's bits reach the C's float image, so both exact providers take them from one rule that
 * matches glibc 2.36 on x86-64 (tests/libm.test.ts checks it against the C's own table):
 *  - a NaN argument comes back as it is (the first NaN argument: pow's base before its
 *    exponent, atan2's x before its y);
 *  - an invalid operation on numbers (sin(∞), log(-1), pow(-1, 0.5)) gives the processor's
 *    default NaN, computed here at run time on the same processor (x86: negative); acos(|x|>1)
 *    is glibc's exception: a positive NaN.
 */
const inf = new Float64Array([Infinity]);
export const DEFAULT_NAN = inf[0] - inf[0];
const POSITIVE_NAN = Math.abs(DEFAULT_NAN);
const nan1 = (g: (x: number) => number, invalid = DEFAULT_NAN) => (x: number): number => {
  const y = g(x);
  return y === y ? y : x !== x ? x : invalid;
};
/**
 * `firstIsA`: glibc returns a before b when both are NaN (pow: the base; atan2(y, x): x).
 * No arrays here: V8 canonicalizes a NaN stored in a double array, which would lose its sign.
 */
const nan2 = (g: (a: number, b: number) => number, firstIsA: boolean) => (a: number, b: number): number => {
  const y = g(a, b);
  if (y === y) return y;
  if (firstIsA) return a !== a ? a : b !== b ? b : DEFAULT_NAN;
  return b !== b ? b : a !== a ? a : DEFAULT_NAN;
};
/** a provider's functions with glibc's NaNs */
function withGlibcNaNs(L: Omit<Libm, 'name' | 'detail'>): Omit<Libm, 'name' | 'detail'> {
  return {
    sin: nan1(L.sin), cos: nan1(L.cos), tan: nan1(L.tan), exp: nan1(L.exp), log: nan1(L.log), acos: nan1(L.acos, POSITIVE_NAN),
    atan2: nan2(L.atan2, false), pow: nan2(L.pow, true),
    powf: (x: number, y: number) => f(nan2(L.powf, true)(f(x), f(y))),
  };
}

export const V8_LIBM: Libm = Object.freeze({
  name: 'v8', detail: `V8 ${process.versions.v8} Math.* (Node ${process.versions.node})`,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, exp: Math.exp, log: Math.log, acos: Math.acos, atan2: Math.atan2, pow: Math.pow,
  powf: (x: number, y: number) => f(Math.pow(f(x), f(y))),
});

/**
 * The correctly rounded provider's code (cr.ts and its nine modules, several milliseconds to load)
 * is loaded when it is first needed, not by every run: most runs use `system`. Where Node can
 * require() an ES module (20.19+, 22.12+) and this is the compiled .js, it is required
 * synchronously on the first read of one of CR_LIBM's functions; elsewhere (an older Node, the
 * TypeScript sources under vitest) cr-eager.ts imports it at import. The engine's CommonJS
 * bundle (scripts/build-bundle.mjs) requires its own dist/engine/cr.js on demand.
 */
let crCode: typeof CrCode | undefined = crEager;
const loadCr = (): typeof CrCode => (crCode ??= createRequire(import.meta.url)('./cr.js') as typeof CrCode);

/**
 * A frozen provider whose functions come from `make` when one is first read: until then each is a
 * getter that builds them all, makes them plain read-only properties (same order) and freezes the
 * object, so from then on it is the same object a literal would have been.
 */
function providerOnDemand(name: LibmName, detail: string, make: () => Omit<Libm, 'name' | 'detail'>, now: boolean): Libm {
  const L = { name, detail } as Libm;
  const build = () => {
    if (Object.isFrozen(L)) return;
    const fns = make();
    for (const k of LIBM_FUNCTIONS) Object.defineProperty(L, k, { value: fns[k], enumerable: true, writable: false, configurable: false });
    Object.freeze(L);
  };
  for (const k of LIBM_FUNCTIONS) Object.defineProperty(L, k, { get: () => { build(); return L[k]; }, enumerable: true, configurable: true });
  if (now) build();
  return L;
}

export const CR_LIBM: Libm = providerOnDemand('cr', 'correctly rounded (nbparity src/math/libm/cr.ts)', () => {
  const { crLibm } = loadCr();
  return withGlibcNaNs({
    sin: crLibm.sin, cos: crLibm.cos, tan: crLibm.tan, exp: crLibm.exp, log: crLibm.log, acos: crLibm.acos, atan2: crLibm.atan2, pow: crLibm.pow,
    // powf(x, y) = float(pow(x, y)) on float arguments: correctly rounded in double first; a double
    // rounding to float can differ from glibc's powf only when pow lands within 2^-29 relative of a float midpoint
    powf: (x: number, y: number) => f(crLibm.pow(f(x), f(y))),
  });
}, crCode !== undefined);

let system: Libm | undefined;
/** The host C library's functions; LibmUnavailableError (with the reason) when they cannot be loaded. */
export function systemLibm(): Libm {
  if (system) return system;
  const s = loadSystemLibm();
  system = Object.freeze({ name: 'system', detail: s.detail, ...withGlibcNaNs(s) });
  return system;
}

/** The default provider: `system` where it loads, else `cr`; `note` says why when it fell back. */
export function defaultLibm(): { libm: Libm; note?: string } {
  try { return { libm: systemLibm() }; } catch (e) {
    if (!(e instanceof LibmUnavailableError)) throw e;
    return { libm: CR_LIBM, note: `libm: ${e.message}; using the correctly rounded provider (cr)` };
  }
}

/** A named provider; `system` throws LibmUnavailableError when it cannot load (asked for explicitly: no fallback). */
export function libmByName(name: LibmName): Libm {
  switch (name) {
    case 'system': return systemLibm();
    case 'cr': return CR_LIBM;
    case 'v8': return V8_LIBM;
  }
}

/** The IEEE 754 bits of a double as 16 hex digits: how traces name a math call's argument and result. */
const bitsView = new DataView(new ArrayBuffer(8));
export function hex64(x: number): string {
  bitsView.setFloat64(0, x);
  return bitsView.getUint32(0).toString(16).padStart(8, '0') + bitsView.getUint32(4).toString(16).padStart(8, '0');
}
export function fromHex64(h: string): number {
  if (!/^[0-9a-f]{16}$/.test(h)) throw new Error(`not 16 hex digits: '${h}'`);
  bitsView.setUint32(0, parseInt(h.slice(0, 8), 16));
  bitsView.setUint32(4, parseInt(h.slice(8), 16));
  return bitsView.getFloat64(0);
}

/** Signed distance in units in the last place between two finite doubles (b - a), via their bit patterns. */
export function ulpDistance(a: number, b: number): number {
  const key = (x: number) => {
    bitsView.setFloat64(0, x);
    const v = BigInt.asIntN(64, bitsView.getBigUint64(0));
    return v < 0n ? -(v & 0x7fffffffffffffffn) : v;
  };
  return Number(key(b) - key(a));
}
