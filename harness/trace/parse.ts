/**
 * One parser for every trace dialect: the C's `TRACE_C:` / `TRACE_C_PHI` lines (golden
 * fork or harness-instrumented), the engine's `TRACE_TS:` / `TRACE_TS_PHI`, and the
 * PyTorch port's `TRACE_PY:` / `TRACE_PY_PHI`.
 *
 * Per-pixel lines come in blocks: the C prints its geometry block once per (layer,
 * sub-pixel) for source 0, starting with `pix0_vector_meters`; the crystal lines and the
 * per-φ lines that follow belong to that block. Entries are keyed by (block, source,
 * mos_tic, phi_tic), never by their position in the file; a φ line without those indices
 * (the golden fork's) gets source 0 and mos_tic 0, which is what the C prints.
 *
 * Strict: a number that does not parse, a line cut short (the text ends without a newline,
 * or a per-φ line lacks a field its dialect always prints), a quantity printed twice in one
 * block, a per-φ line of the wrong block or after the pixel's final lines, mixed dialects:
 * each is a TraceParseError naming the file and line (a malformed trace: exit 3).
 *
 * Loop counts: `TRACE_<side>_LOOPS thicksteps=… oversample=… sources=… phisteps=…
 * mosaic_domains=… fpixels=… spixels=…` (nbparity-instrumented C, engine), else the banner
 * every nanoBragg.c prints ("10 phi steps from …", "1 sources", …). `TRACE_<side>_SKIP` lines
 * mark evaluations skipped on purpose (-dmin). Together they define the evaluation keys a
 * complete trace must hold (harness/trace/complete.ts).
 *
 * Known traps are normalised here, once: the golden fork's `beam_center_m` is divided by
 * 1000 twice (kept raw, flagged), `scattering_vec_A_inv` is in m⁻¹ despite its name (kept
 * in m⁻¹), and the PyTorch port's S_x/S_y/S_z are in Å⁻¹ (converted to m⁻¹ as
 * scattering_m_inv_x/y/z).
 */
import { clip, TraceIncompleteError } from '../contract.js';

export type TraceSide = 'C' | 'TS' | 'PY';

/**
 * Which evaluations a trace prints: 'full' (nbparity-instrumented C, engine: every layer,
 * sub-pixel, source, φ step and mosaic domain, with loop indices on each line), 'golden' (the
 * hoidn fork: φ lines for source 0 and mosaic domain 0 of each sub-pixel block, square shapes
 * only, no indices but phi_tic), 'py' (the PyTorch port), 'none' (no per-φ lines).
 */
export type TraceDialect = 'full' | 'golden' | 'py' | 'none';

/** The loop counts one side ran with (its own resolution of the command line). */
export interface Loops { thicksteps: number; oversample: number; sources: number; phisteps: number; mosaic_domains: number; fpixels: number; spixels: number }
export const LOOP_NAMES = ['thicksteps', 'oversample', 'sources', 'phisteps', 'mosaic_domains', 'fpixels', 'spixels'] as const;

/** An evaluation skipped on purpose: every φ step and mosaic domain of one (block, source). */
export interface Skip { block: number; thick_tic: number; subS: number; subF: number; source: number; reason: string; line: number }

export interface PhiEntry {
  block: number; source: number; mos_tic: number; phi_tic: number;
  thick_tic?: number; subS?: number; subF?: number;
  values: Record<string, number[]>;
  line: number;
}

/** One math-library call as a side printed it (TRACE_*_LIBM): arguments and result as IEEE 754 bits. */
export interface LibmCall { fn: string; x: string; x2: string | null; y: string; where: string | null; line: number }
export const LIBM_FNS: Record<string, 1 | 2> = { sin: 1, cos: 1, tan: 1, exp: 1, log: 1, acos: 1, atan2: 2, pow: 2, powf: 2 };

export interface PixelBlock { block: number; values: Record<string, number[]>; line: number }

export interface ParsedTrace {
  schema: 'nbparity.trace/1';
  side: TraceSide | 'mixed' | 'none';
  dialect: TraceDialect;
  /** the loop counts this side declared, and where they came from */
  loops: Loops | null;
  loops_from: 'trace' | 'banner' | null;
  skips: Skip[];
  /** detector set-up lines (TRACE_C:tag=payload): raw text and the numbers in it */
  setup: Record<string, { raw: string; values: number[] }>;
  /** the traced pixel, when a TRACE_CONFIG line names it */
  pixel: { slow: number; fast: number } | null;
  blocks: PixelBlock[];
  /** pixel-level results printed after all loops (I_before_scaling ... floatimage_accumulated) */
  final: Record<string, number[]>;
  phi: PhiEntry[];
  /** the side's math calls (set-up and this pixel), when it printed them; null when it did not */
  libm: { provider: string | null; truncated: boolean; count: number; calls?: LibmCall[] } | null;
  warnings: string[];
}

/** A malformed trace (exit 3): names the file and line. */
export class TraceParseError extends TraceIncompleteError {
  override name = 'TraceParseError';
  constructor(readonly file: string, readonly line: number, readonly text: string, problem: string) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}${text ? `: ${clip(text, 160)}` : ''}`);
  }
}

/** names printed once per pixel after the loops */
export const FINAL_NAMES = new Set([
  'I_before_scaling', 'I_before_scaling_pre_polar', 'I_before_scaling_post_polar', 'r_e_meters', 'r_e_sqr',
  'fluence_photons_per_m2', 'steps', 'oversample_thick', 'oversample_polar', 'oversample_omega', 'capture_fraction',
  'polar', 'omega_pixel', 'cos_2theta', 'I_pixel_final', 'floatimage_accumulated',
]);
const BLOCK_START = 'pix0_vector_meters';
const INDEX_KEYS = new Set(['thick_tic', 'subS', 'subF', 'source', 'mos_tic', 'phi_tic']);

/** A printed number: decimal (C %g/%.17g or JS shortest), or nan/inf as glibc or JS print them; null when it is not one. */
export function parseNumber(tok: string): number | null {
  const t = tok.trim().toLowerCase();
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  if (t === 'inf' || t === 'infinity' || t === '+inf' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?)$/.test(t)) return null;
  return Number(t);
}

function numbers(tokens: string[], file: string, ln: number, text: string): number[] {
  return tokens.map((tok) => {
    const v = parseNumber(tok);
    if (v === null) throw new TraceParseError(file, ln, text, `'${tok}' is not a number`);
    return v;
  });
}

/** Per-φ fields each dialect always prints, with their number of components. */
const PHI_FIELDS: Record<'full' | 'golden', Record<string, number>> = {
  full: {
    phi_deg: 1, rot_a: 3, rot_b: 3, rot_c: 3, rot_a_star: 3, rot_b_star: 3, rot_c_star: 3, h_frac: 1, k_frac: 1, l_frac: 1,
    F_latt_a: 1, F_latt_b: 1, F_latt_c: 1, F_latt: 1, F_cell: 1, I_contribution: 1,
  },
  golden: { phi_deg: 1, k_frac: 1, F_latt_b: 1, F_latt: 1 },
};
/** Per-pixel and final quantities with three components; every other known name has one. */
const VECTOR_NAMES = new Set(['pix0_vector_meters', 'fdet_vec', 'sdet_vec', 'pixel_pos_meters', 'diffracted_vec', 'incident_vec', 'scattering_vec_A_inv',
  'rot_a_angstroms', 'rot_b_angstroms', 'rot_c_angstroms', 'rot_a_star_A_inv', 'rot_b_star_A_inv', 'rot_c_star_A_inv', 'hkl_frac', 'hkl_rounded']);
const SCALAR_NAMES = new Set(['R_distance_meters', 'omega_pixel_sr', 'close_distance_meters', 'obliquity_factor', 'lambda_meters', 'lambda_angstroms',
  'F_latt_a', 'F_latt_b', 'F_latt_c', 'F_latt', 'F_cell']);

function intField(v: string | undefined, name: string, file: string, ln: number, line: string): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new TraceParseError(file, ln, line, `${name} must be a non-negative integer, got '${v ?? ''}'`);
  return Number(v);
}

/** Loop counts from nanoBragg.c's banner, when each count is printed exactly once. */
export function bannerLoops(text: string): Loops | null {
  const one = (re: RegExp): RegExpMatchArray | null => { const all = [...text.matchAll(new RegExp(re.source, 'gm'))]; return all.length === 1 ? all[0] : null; };
  const det = one(/^\s*distance=\S+ detsize=\S+\s+pixel=\S+ meters \((\d+)x(\d+) pixels\)/);
  const thick = one(/^\s*sensor is \S+ m thick in (\d+) layers/);
  const src = one(/^\s*(\d+) sources\s*$/);
  const mos = one(/^\s*(\d+) mosaic domains over/);
  const phi = one(/^\s*(\d+) phi steps from/);
  const os = one(/^\s*(\d+)x(\d+) pixel oversample steps/);
  if (!det || !thick || !src || !mos || !phi || !os || os[1] !== os[2]) return null;
  return { thicksteps: +thick[1], oversample: +os[1], sources: +src[1], phisteps: +phi[1], mosaic_domains: +mos[1], fpixels: +det[1], spixels: +det[2] };
}

/** Parse trace text (any mix of other output lines is ignored). */
export function parseTrace(text: string, file = '<trace>'): ParsedTrace {
  const out: ParsedTrace = { schema: 'nbparity.trace/1', side: 'none', dialect: 'none', loops: null, loops_from: null, skips: [], setup: {}, pixel: null, blocks: [], final: {}, phi: [], libm: null, warnings: [] };
  const sides = new Set<TraceSide>();
  const dialects = new Set<TraceDialect>();
  let block = -1;
  const lines = text.split('\n');
  // a text that ends without a newline was cut (C and engine end every line they print)
  const last = lines.length - 1;
  if (lines[last] !== '' && /TRACE_/.test(lines[last])) throw new TraceParseError(file, last + 1, lines[last], 'the trace ends in the middle of a line (cut short)');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const ln = i + 1;
    // progress lines can be glued to a trace line by interleaved output; take the trace part
    const at = raw.search(/TRACE_(C|TS|PY)(_PHI|_LOOPS|_SKIP|_LIBM|_LIBM_PROVIDER|_LIBM_TRUNCATED)?[: ]|TRACE_CONFIG:/);
    if (at < 0) continue;
    const line = raw.slice(at);
    let m: RegExpExecArray | null;
    if ((m = /^TRACE_CONFIG: tracing pixel \(spixel=(-?\d+), fpixel=(-?\d+)\)/.exec(line))) {
      out.pixel = { slow: Number(m[1]), fast: Number(m[2]) };
      continue;
    }
    if ((m = /^TRACE_(C|TS|PY)_LIBM(_PROVIDER|_TRUNCATED)?\s+(.*)$/.exec(line))) {
      sides.add(m[1] as TraceSide);
      const L = out.libm ??= { provider: null, truncated: false, count: 0, calls: [] };
      if (m[2] === '_PROVIDER') {
        const p = /^name=(\S+)(?: detail=(.*))?$/.exec(m[3]);
        if (!p) throw new TraceParseError(file, ln, line, 'a libm provider line without name=');
        if (L.provider !== null) throw new TraceParseError(file, ln, line, 'a second libm provider line');
        L.provider = p[2] ? `${p[1]} (${p[2]})` : p[1];
        continue;
      }
      if (m[2] === '_TRUNCATED') { L.truncated = true; continue; }
      // fn=NAME x=HEX [x2=HEX] y=HEX [where=free text to the end of the line]
      const c = /^fn=(\S+) x=(\S+)(?: x2=(\S+))? y=(\S+)(?: where=(.*))?$/.exec(m[3]);
      if (!c) throw new TraceParseError(file, ln, line, 'a math-call line must read fn=… x=… [x2=…] y=… (cut short?)');
      const arity = LIBM_FNS[c[1]];
      if (!arity) throw new TraceParseError(file, ln, line, `unknown math function '${c[1]}'`);
      if ((arity === 2) !== (c[3] !== undefined)) throw new TraceParseError(file, ln, line, `${c[1]} takes ${arity} argument${arity === 2 ? 's' : ''}`);
      for (const h of [c[2], c[3], c[4]]) if (h !== undefined && !/^[0-9a-f]{16}$/.test(h)) throw new TraceParseError(file, ln, line, `'${h}' is not 16 hex digits (the bits of a double)`);
      L.calls!.push({ fn: c[1], x: c[2], x2: c[3] ?? null, y: c[4], where: c[5] ?? null, line: ln });
      L.count++;
      continue;
    }
    if ((m = /^TRACE_(C|TS|PY)_(PHI|LOOPS|SKIP)\s+(.*)$/.exec(line))) {
      sides.add(m[1] as TraceSide);
      const fields: Record<string, string> = {};
      for (const tok of m[3].trim().split(/\s+/)) {
        const eq = tok.indexOf('=');
        if (eq <= 0) throw new TraceParseError(file, ln, line, `expected key=value, got '${tok}'`);
        const k = tok.slice(0, eq);
        if (k in fields) throw new TraceParseError(file, ln, line, `field ${k} appears twice`);
        fields[k] = tok.slice(eq + 1);
      }
      if (m[2] === 'LOOPS') {
        if (out.loops_from === 'trace') throw new TraceParseError(file, ln, line, 'a second loop-count line');
        const loops = {} as Loops;
        for (const n of LOOP_NAMES) loops[n] = intField(fields[n], n, file, ln, line);
        out.loops = loops; out.loops_from = 'trace';
        continue;
      }
      if (m[2] === 'SKIP') {
        const [thick_tic, subS, subF, source] = (['thick_tic', 'subS', 'subF', 'source'] as const).map((k) => intField(fields[k], k, file, ln, line));
        if (!fields.reason) throw new TraceParseError(file, ln, line, 'skip line without a reason');
        out.skips.push({ block: -1, thick_tic, subS, subF, source, reason: fields.reason, line: ln });
        continue;
      }
      if (!('phi_tic' in fields)) throw new TraceParseError(file, ln, line, 'per-phi line without phi_tic');
      const dialect: TraceDialect = m[1] === 'PY' ? 'py' : 'thick_tic' in fields ? 'full' : 'golden';
      dialects.add(dialect);
      const entry: PhiEntry = {
        block: Math.max(block, 0), source: 0, mos_tic: 0, phi_tic: intField(fields.phi_tic, 'phi_tic', file, ln, line),
        values: {}, line: ln,
      };
      if (dialect === 'full') {
        for (const k of ['thick_tic', 'subS', 'subF', 'source', 'mos_tic'] as const) entry[k] = intField(fields[k], k, file, ln, line);
      } else {
        for (const k of ['source', 'mos_tic'] as const) if (k in fields) entry[k] = intField(fields[k], k, file, ln, line);
      }
      for (const [k, v] of Object.entries(fields)) {
        if (INDEX_KEYS.has(k)) continue;
        entry.values[k] = numbers(v.split(','), file, ln, line);
      }
      if (dialect === 'full' || dialect === 'golden') {
        for (const [k, n] of Object.entries(PHI_FIELDS[dialect])) {
          if (!(k in entry.values)) throw new TraceParseError(file, ln, line, `per-phi line without ${k} (cut short?)`);
          if (entry.values[k].length !== n) throw new TraceParseError(file, ln, line, `${k} has ${entry.values[k].length} components, expected ${n}`);
        }
      }
      if (dialect !== 'py' && Object.keys(out.final).length) throw new TraceParseError(file, ln, line, "a per-phi line after the pixel's final lines");
      if (m[1] === 'PY') {
        for (const axis of ['x', 'y', 'z']) {
          const s = entry.values[`S_${axis}`];
          if (s) entry.values[`scattering_m_inv_${axis}`] = [s[0] * 1e10];
        }
      }
      out.phi.push(entry);
      continue;
    }
    if ((m = /^TRACE_C:([A-Za-z0-9_]+)=(.*)$/.exec(line))) {
      sides.add('C');
      const payload = m[2];
      const vals = (payload.match(/[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?nan|[+-]?inf/gi) ?? []).map((t) => parseNumber(t) ?? NaN);
      out.setup[m[1]] = { raw: payload, values: vals };
      continue;
    }
    if ((m = /^TRACE_(C|TS|PY):\s+(\S+)\s*(.*)$/.exec(line))) {
      sides.add(m[1] as TraceSide);
      const name = m[2];
      const toks = m[3].trim() === '' ? [] : m[3].trim().split(/\s+/);
      const values = numbers(toks, file, ln, line);
      const arity = VECTOR_NAMES.has(name) ? 3 : SCALAR_NAMES.has(name) || FINAL_NAMES.has(name) ? 1 : 0;
      if (arity && values.length !== arity) throw new TraceParseError(file, ln, line, `${name} has ${values.length} numbers, expected ${arity}`);
      if (FINAL_NAMES.has(name)) {
        if (name in out.final) throw new TraceParseError(file, ln, line, `${name} printed twice for this pixel`);
        out.final[name] = values; continue;
      }
      if (Object.keys(out.final).length) throw new TraceParseError(file, ln, line, "a per-pixel line after the pixel's final lines");
      if (name === BLOCK_START || block < 0) {
        block++;
        out.blocks.push({ block, values: {}, line: ln });
      }
      if (name in out.blocks[block].values) throw new TraceParseError(file, ln, line, `${name} printed twice in sub-pixel block ${block}`);
      out.blocks[block].values[name] = values;
      continue;
    }
    if (/^TRACE_(C|TS|PY)[_:]/.test(line)) throw new TraceParseError(file, ln, line, 'not a trace line nbparity knows');
  }
  out.side = sides.size === 0 ? 'none' : sides.size === 1 ? [...sides][0] : 'mixed';
  if (dialects.size > 1) throw new TraceParseError(file, 0, '', `per-phi lines of several dialects (${[...dialects].join(', ')}) in one trace`);
  // skip lines are only printed by full-dialect traces: a pixel whose evaluations were all skipped is still one
  out.dialect = dialects.size ? [...dialects][0] : out.skips.length ? 'full' : 'none';
  if (out.side === 'C') {
    // the C says its loops twice when instrumented (TRACE_C_LOOPS and its banner): they must agree
    const banner = bannerLoops(text);
    if (!out.loops) { out.loops = banner; out.loops_from = banner ? 'banner' : null; }
    else if (banner && LOOP_NAMES.some((n) => banner[n] !== out.loops![n])) {
      throw new TraceParseError(file, 0, '', `TRACE_C_LOOPS (${LOOP_NAMES.map((n) => `${n}=${out.loops![n]}`).join(' ')}) disagrees with the C's banner (${LOOP_NAMES.map((n) => `${n}=${banner[n]}`).join(' ')})`);
    }
  }
  // full dialect: a φ line's block follows from its indices, and must be the block it sits in
  if (out.dialect === 'full' && out.loops) {
    const os = out.loops.oversample;
    const blockOf = (t: number, s: number, f: number) => (t * os + s) * os + f;
    for (const e of out.phi) {
      const b = blockOf(e.thick_tic!, e.subS!, e.subF!);
      if (e.subS! >= os || e.subF! >= os || b !== e.block) {
        throw new TraceParseError(file, e.line, lines[e.line - 1], `per-phi line of sub-pixel block ${b} (thick_tic ${e.thick_tic}, subS ${e.subS}, subF ${e.subF}) inside block ${e.block}`);
      }
    }
    for (const k of out.skips) k.block = blockOf(k.thick_tic, k.subS, k.subF);
  }
  if (out.setup.beam_center_m) out.warnings.push('TRACE_C:beam_center_m is divided by 1000 twice in the golden fork (values 1000x too small); not compared');
  return out;
}

const PIXEL_MARKER = /(?:^|\s)TRACE_(?:C|TS|PY)_PIXEL spixel=(-?\d+) fpixel=(-?\d+)/;

/**
 * Split a trace of several pixels at their `TRACE_*_PIXEL spixel=S fpixel=F` markers and
 * parse each; lines before the first marker (set-up lines) belong to every pixel. A trace
 * without markers is one pixel.
 */
export function parseTraces(text: string, file = '<trace>'): ParsedTrace[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((l, i) => { if (PIXEL_MARKER.test(l)) starts.push(i); });
  if (starts.length === 0) return [parseTrace(text, file)];
  return starts.map((st, k) => {
    const m = PIXEL_MARKER.exec(lines[st])!;
    const seg = lines.slice(st, k + 1 < starts.length ? starts[k + 1] : lines.length);
    // keep line numbers meaningful: blank out the other pixels' lines instead of dropping them
    const body = lines.map((l, i) => (i < starts[0] ? l : i >= st && i < st + seg.length ? l : '')).join('\n');
    const t = parseTrace(body, file);
    t.pixel = { slow: Number(m[1]), fast: Number(m[2]) };
    return t;
  });
}

/** The trace of one pixel from a (possibly multi-pixel) trace text; a pixel traced twice is malformed. */
export function traceOfPixel(text: string, pixel: [number, number], file = '<trace>'): ParsedTrace {
  const all = parseTraces(text, file);
  if (all.length === 1 && (all[0].pixel === null || (all[0].pixel.slow === pixel[0] && all[0].pixel.fast === pixel[1]))) return all[0];
  const mine = all.filter((x) => x.pixel && x.pixel.slow === pixel[0] && x.pixel.fast === pixel[1]);
  if (mine.length > 1) throw new TraceParseError(file, 0, '', `pixel (${pixel.join(', ')}) is traced ${mine.length} times`);
  if (!mine.length) throw new TraceParseError(file, 0, '', `no trace of pixel (${pixel.join(', ')}) (traced: ${all.map((x) => x.pixel ? `(${x.pixel.slow}, ${x.pixel.fast})` : '?').join(' ')})`);
  return mine[0];
}

/** The key that pairs per-φ entries across traces. */
export function phiKey(e: Pick<PhiEntry, 'block' | 'source' | 'mos_tic' | 'phi_tic'>): string {
  return `${e.block}/${e.source}/${e.mos_tic}/${e.phi_tic}`;
}
