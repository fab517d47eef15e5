/**
 * Is the math library the cause? When a comparison fails, this decides between
 *
 *   libm-limited   the first difference is the result of a math function (sin, cos, exp, …)
 *                  whose argument is the same bits on both sides, and nothing else differs;
 *   not-libm       the difference is elsewhere (logic or precision): no math call with the
 *                  same argument gave different bits, or, with the C's own libm, the engine
 *                  still fails;
 *   undetermined   this run cannot tell (a side did not log its calls, a log was cut, the
 *                  C's libm cannot be reproduced here).
 *
 * Evidence, all of which must hold for libm-limited:
 *  1. both sides logged their math calls (TRACE_*_LIBM: set-up and the traced pixel), whole;
 *  2. some call with the same function and argument bits returned different bits (the first
 *     such call in the C's order is the one named);
 *  3. every logged C call equals this machine's C library (`system` provider) for the same
 *     argument: the C's libm is the one the engine can use;
 *  4. the counterfactual: the engine with `--libm system`, on the same arguments, passes every
 *     gate against the same C outputs, with every traced value the same number (no tolerance)
 *     and every pixel bit-identical. So nothing else differs, traced pixel or not.
 * A logic difference cannot pass (4), so it can never be called libm-limited.
 */
import { fromHex64, hex64, libmByName, LibmUnavailableError, ulpDistance, type Libm } from '../../src/index.js';
import type { LibmCall, ParsedTrace } from '../trace/parse.js';

export type LibmVerdict = 'libm-limited' | 'not-libm' | 'undetermined';

export interface LibmCallDiff {
  fn: string; x: string; x2: string | null; c: string; engine: string; ulp: number;
  /** where the engine made this call (its own label), and the C trace line */
  where: string | null; c_line: number;
}

export interface LibmDiagnosis {
  verdict: LibmVerdict;
  sentence: string;
  engine_provider: string | null;
  calls: { c: number; engine: number; paired: number; differing: number };
  first: LibmCallDiff | null;
  /** how many logged C calls equal this machine's C library (evidence 3) */
  c_equals_system: { checked: number; equal: number } | null;
  counterfactual: { engine_args: string[]; pass: boolean; failed: string[] } | null;
}

/** a diagnosis that cannot be made, with the reason */
export function undeterminedLibm(why: string): LibmDiagnosis {
  return { verdict: 'undetermined', sentence: `libm: undetermined: ${why}.`, engine_provider: null, calls: { c: 0, engine: 0, paired: 0, differing: 0 }, first: null, c_equals_system: null, counterfactual: null };
}

const key = (c: Pick<LibmCall, 'fn' | 'x' | 'x2'>) => `${c.fn}:${c.x}:${c.x2 ?? ''}`;

/** Evidence 1-3, from the two traces: the paired calls and whether the C's libm is this machine's. */
export function pairLibmCalls(c: ParsedTrace, e: ParsedTrace, system: () => Libm): Omit<LibmDiagnosis, 'counterfactual'> & { needsCounterfactual: boolean } {
  const base = { engine_provider: e.libm?.provider ?? null, first: null, c_equals_system: null, needsCounterfactual: false };
  const counts = { c: c.libm?.count ?? 0, engine: e.libm?.count ?? 0, paired: 0, differing: 0 };
  const und = (why: string) => ({ ...base, verdict: 'undetermined' as const, calls: counts, sentence: `libm: undetermined: ${why}.` });
  if (!c.libm || !c.libm.calls) return und(`the C trace has no math-call lines (a ${c.dialect === 'golden' ? 'golden-fork' : 'C'} build that does not log them)`);
  if (!e.libm || !e.libm.calls) return und('the engine trace has no math-call lines (run without --libm-log)');
  if (c.libm.truncated || e.libm.truncated) return und(`the ${c.libm.truncated ? 'C' : 'engine'}'s math-call log was cut at its limit`);
  const cMap = new Map<string, LibmCall>();
  for (const call of c.libm.calls) {
    const k = key(call), had = cMap.get(k);
    if (had && had.y !== call.y) return und(`the C's own calls disagree: ${call.fn} of ${call.x} gave ${had.y} (line ${had.line}) and ${call.y} (line ${call.line})`);
    if (!had) cMap.set(k, call);
  }
  const eMap = new Map<string, LibmCall>();
  for (const call of e.libm.calls) {
    const k = key(call), had = eMap.get(k);
    if (had && had.y !== call.y) return und(`the engine's own calls disagree: ${call.fn} of ${call.x} gave ${had.y} and ${call.y}`);
    if (!had) eMap.set(k, call);
  }
  const diffs: LibmCallDiff[] = [];
  for (const [k, cc] of cMap) {
    const ec = eMap.get(k);
    if (!ec) continue;
    counts.paired++;
    if (ec.y === cc.y) continue;
    counts.differing++;
    const a = fromHex64(cc.y), b = fromHex64(ec.y);
    diffs.push({ fn: cc.fn, x: cc.x, x2: cc.x2, c: cc.y, engine: ec.y, ulp: Number.isFinite(a) && Number.isFinite(b) ? ulpDistance(a, b) : NaN, where: ec.where, c_line: cc.line });
  }
  diffs.sort((p, q) => p.c_line - q.c_line);
  const first = diffs[0] ?? null;
  // evidence 3: the C's libm is this machine's (its every logged call gives the same bits here)
  let L: Libm;
  try { L = system(); } catch (err) {
    if (err instanceof LibmUnavailableError) return { ...und(`${first ? `${describe(first)}, but ` : ''}this machine's C library cannot be loaded to reproduce the C's (${err.message})`), first };
    throw err;
  }
  let equal = 0;
  for (const cc of cMap.values()) if (evaluate(L, cc) === cc.y) equal++;
  const c_equals_system = { checked: cMap.size, equal };
  if (equal !== cMap.size) {
    return { ...base, verdict: 'undetermined', calls: counts, first, c_equals_system, needsCounterfactual: false,
      sentence: `libm: undetermined: ${first ? `${describe(first)}, but ` : ''}${cMap.size - equal} of the C's ${cMap.size} logged calls differ from this machine's C library, so the engine cannot use the C's libm to show what else differs.` };
  }
  // evidence 4 decides, whatever the pairing found (a differing call may lie outside the logged regions)
  if ((e.libm.provider ?? '').startsWith('system')) {
    return { ...base, verdict: 'not-libm', calls: counts, first, c_equals_system, needsCounterfactual: false,
      sentence: `not libm-limited: the engine already used this machine's C library (the C's own libm) and still differs: the difference is elsewhere.` };
  }
  return { ...base, verdict: 'undetermined', calls: counts, first, c_equals_system, needsCounterfactual: true, sentence: 'libm: the counterfactual has not run.' };
}

/**
 * Evidence 4 decides: libm-limited only when the engine with the C's libm matches the C bit
 * for bit; not-libm when it still differs. The differing call is named when the logs show it.
 */
export function concludeLibm(p: ReturnType<typeof pairLibmCalls>, cf: { engine_args: string[]; pass: boolean; failed: string[] } | null): LibmDiagnosis {
  const { needsCounterfactual, ...d } = p;
  if (!needsCounterfactual || !cf) return { ...d, counterfactual: cf };
  const args = cf.engine_args.join(' ');
  if (cf.pass) {
    return { ...d, verdict: 'libm-limited', counterfactual: cf,
      sentence: d.first
        ? `libm-limited: ${describe(d.first)}; with ${args} (the C's own libm) the engine matches the same C outputs bit for bit.`
        : `libm-limited: with ${args} (the C's own libm) the engine matches the same C outputs bit for bit; no logged call shows the differing result (${d.calls.paired} paired calls agree), so it was made outside the logged set-up and traced pixel.` };
  }
  return { ...d, verdict: 'not-libm', counterfactual: cf,
    sentence: `not libm-limited: ${d.first ? `${describe(d.first)}, but ` : ''}with ${args} (the C's own libm) the engine still fails ${cf.failed.slice(0, 4).join(', ')}${cf.failed.length > 4 ? ` and ${cf.failed.length - 4} more` : ''}: something else differs.` };
}

function describe(d: LibmCallDiff): string {
  const arg = d.x2 === null ? `0x${d.x}` : `(0x${d.x}, 0x${d.x2})`;
  const ulp = Number.isFinite(d.ulp) ? `${Math.abs(d.ulp)} ulp` : 'not finite';
  return `${d.fn}${d.where ? ` at ${d.where}` : ''}: same argument ${arg}, C 0x${d.c}, engine 0x${d.engine}, ${ulp}`;
}

/** The result bits a provider gives for a logged call. */
function evaluate(L: Libm, c: LibmCall): string {
  const x = fromHex64(c.x), x2 = c.x2 === null ? 0 : fromHex64(c.x2);
  const y = c.fn === 'atan2' ? L.atan2(x, x2) : c.fn === 'pow' ? L.pow(x, x2) : c.fn === 'powf' ? L.powf(x, x2) : (L[c.fn as 'sin'])(x);
  return hex64(y);
}

/** The provider the harness compares the C's calls against. */
export const systemLibmForHarness = (): Libm => libmByName('system');
