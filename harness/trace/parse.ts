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
 * Known traps are normalised here, once: the golden fork's `beam_center_m` is divided by
 * 1000 twice (kept raw, flagged), `scattering_vec_A_inv` is in m⁻¹ despite its name (kept
 * in m⁻¹), and the PyTorch port's S_x/S_y/S_z are in Å⁻¹ (converted to m⁻¹ as
 * scattering_m_inv_x/y/z).
 */
export type TraceSide = 'C' | 'TS' | 'PY';

export interface PhiEntry {
  block: number; source: number; mos_tic: number; phi_tic: number;
  thick_tic?: number; subS?: number; subF?: number;
  values: Record<string, number[]>;
  line: number;
}

export interface PixelBlock { block: number; values: Record<string, number[]>; line: number }

export interface ParsedTrace {
  schema: 'nbparity.trace/1';
  side: TraceSide | 'mixed' | 'none';
  /** detector set-up lines (TRACE_C:tag=payload): raw text and the numbers in it */
  setup: Record<string, { raw: string; values: number[] }>;
  /** the traced pixel, when a TRACE_CONFIG line names it */
  pixel: { slow: number; fast: number } | null;
  blocks: PixelBlock[];
  /** pixel-level results printed after all loops (I_before_scaling ... floatimage_accumulated) */
  final: Record<string, number[]>;
  phi: PhiEntry[];
  warnings: string[];
}

export class TraceParseError extends Error {
  override name = 'TraceParseError';
  constructor(readonly file: string, readonly line: number, readonly text: string, problem: string) {
    super(`${file}:${line}: ${problem}: ${text.length > 120 ? text.slice(0, 120) + '…' : text}`);
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

function parseNumber(tok: string): number {
  const t = tok.trim().toLowerCase();
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[+-]?((\d+\.?\d*|\.\d+)([e][+-]?\d+)?)$/.test(t)) return Number.NaN;
  return Number(t);
}

function numbers(tokens: string[], file: string, ln: number, text: string): number[] {
  return tokens.map((tok) => {
    const v = parseNumber(tok);
    if (Number.isNaN(v) && !/nan/i.test(tok)) throw new TraceParseError(file, ln, text, `'${tok}' is not a number`);
    return v;
  });
}

/** Parse trace text (any mix of other output lines is ignored). */
export function parseTrace(text: string, file = '<trace>'): ParsedTrace {
  const out: ParsedTrace = { schema: 'nbparity.trace/1', side: 'none', setup: {}, pixel: null, blocks: [], final: {}, phi: [], warnings: [] };
  const sides = new Set<TraceSide>();
  let block = -1;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const ln = i + 1;
    // progress lines can be glued to a trace line by interleaved output; take the trace part
    const at = raw.search(/TRACE_(C|TS|PY)(_PHI)?[: ]|TRACE_CONFIG:/);
    if (at < 0) continue;
    const line = raw.slice(at);
    let m: RegExpExecArray | null;
    if ((m = /^TRACE_CONFIG: tracing pixel \(spixel=(-?\d+), fpixel=(-?\d+)\)/.exec(line))) {
      out.pixel = { slow: Number(m[1]), fast: Number(m[2]) };
      continue;
    }
    if ((m = /^TRACE_(C|TS|PY)_PHI\s+(.*)$/.exec(line))) {
      sides.add(m[1] as TraceSide);
      const fields: Record<string, string> = {};
      for (const tok of m[2].trim().split(/\s+/)) {
        const eq = tok.indexOf('=');
        if (eq <= 0) throw new TraceParseError(file, ln, line, `expected key=value, got '${tok}'`);
        fields[tok.slice(0, eq)] = tok.slice(eq + 1);
      }
      if (!('phi_tic' in fields)) throw new TraceParseError(file, ln, line, 'per-phi line without phi_tic');
      const idx = (k: string, d: number) => (k in fields ? Number(fields[k]) : d);
      const entry: PhiEntry = {
        block: Math.max(block, 0), source: idx('source', 0), mos_tic: idx('mos_tic', 0), phi_tic: idx('phi_tic', 0),
        values: {}, line: ln,
      };
      for (const k of ['thick_tic', 'subS', 'subF'] as const) if (k in fields) entry[k] = Number(fields[k]);
      for (const [k, v] of Object.entries(fields)) {
        if (INDEX_KEYS.has(k)) continue;
        entry.values[k] = numbers(v.split(','), file, ln, line);
      }
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
      const vals = (payload.match(/[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?nan|[+-]?inf/gi) ?? []).map(parseNumber);
      out.setup[m[1]] = { raw: payload, values: vals };
      continue;
    }
    if ((m = /^TRACE_(C|TS|PY):\s+(\S+)\s*(.*)$/.exec(line))) {
      sides.add(m[1] as TraceSide);
      const name = m[2];
      const toks = m[3].trim() === '' ? [] : m[3].trim().split(/\s+/);
      const values = numbers(toks, file, ln, line);
      if (FINAL_NAMES.has(name)) { out.final[name] = values; continue; }
      if (name === BLOCK_START || block < 0) {
        block++;
        out.blocks.push({ block, values: {}, line: ln });
      }
      out.blocks[block].values[name] = values;
      continue;
    }
  }
  out.side = sides.size === 0 ? 'none' : sides.size === 1 ? [...sides][0] : 'mixed';
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

/** The trace of one pixel from a (possibly multi-pixel) trace text. */
export function traceOfPixel(text: string, pixel: [number, number], file = '<trace>'): ParsedTrace {
  const all = parseTraces(text, file);
  if (all.length === 1 && (all[0].pixel === null || (all[0].pixel.slow === pixel[0] && all[0].pixel.fast === pixel[1]))) return all[0];
  const t = all.find((x) => x.pixel && x.pixel.slow === pixel[0] && x.pixel.fast === pixel[1]);
  if (!t) throw new TraceParseError(file, 0, '', `no trace of pixel (${pixel.join(', ')}) (traced: ${all.map((x) => x.pixel ? `(${x.pixel.slow}, ${x.pixel.fast})` : '?').join(' ')})`);
  return t;
}

/** The key that pairs per-φ entries across traces. */
export function phiKey(e: Pick<PhiEntry, 'block' | 'source' | 'mos_tic' | 'phi_tic'>): string {
  return `${e.block}/${e.source}/${e.mos_tic}/${e.phi_tic}`;
}
