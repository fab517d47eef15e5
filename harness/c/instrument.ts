/**
 * Instrumenting the user's nanoBragg.c for traces, on a copy (never the user's file).
 *
 * Pristine nanoBragg.c prints no traces. nbparity inserts, at recognised points of the
 * source, calls to a few helper functions of its own that print:
 *  - `TRACE_C: <name> <values>` per-pixel lines, named as the hoidn golden fork names them;
 *  - `TRACE_C_PHI` lines with the same fields as the engine's `TRACE_TS_PHI`, one per
 *    evaluation of the traced pixel (layer, sub-pixel, source, φ step, mosaic domain);
 * all printed with %.17g (enough digits to round-trip a double), and a `-trace_pixel S F`
 * option (slow, fast) that may be repeated. Each traced pixel's lines start with
 * `TRACE_C_PIXEL spixel=S fpixel=F` and are buffered per thread and printed whole when the
 * pixel is done, so OpenMP threads never interleave them. The helpers are functions, not
 * variables, so the C's `default(none)` OpenMP clause needs no change.
 *
 * How points are found: by what the code does, not by its exact text. The source is read
 * as C tokens (comments, whitespace, line ends, CRLF and backslash continuations do not
 * matter) and each statement is parsed as an expression, so redundant parentheses, casts
 * such as `(double)`, `x = x + y` for `x += y`, operand order of `==`/`+`/`*`, a
 * statement split over lines and a renamed local are all the same statement. Each point is
 * a statement that begins where a statement may begin (never the body of an `if` without
 * braces, never after `else`), inside main():
 *
 *   point                          recognised as                                      code goes
 *   main() entry                   the definition `int main(<argc>, <argv>) {`         before
 *   option loop (-Na)              an `if` whose test calls a function on `argv[i]`   before
 *                                  and the string "-Na"
 *   pixel loop (omp parallel for)  `#pragma omp parallel ...` whose loop uses         before
 *                                  spixel/fpixel
 *   pixel start (I = I_bg)         the assignment `I = I_bg`                           after
 *   scattering vector              the assignment of `scattering[3]` from diffracted   after
 *                                  and incident
 *   resolution cut (-dmin)         an `if` testing `dmin > 0` and stol                 before
 *   zero lattice factor skip       `if(... F_latt == 0 ...) continue;`                 before
 *   intensity accumulation         the statement that first computes                   before
 *                                  F_cell*F_cell*F_latt*F_latt (factors in any order):
 *                                  `I += P`, `I = I + P`, or `[type] v = P` for a
 *                                  local v that is later added to I (`I += v`)
 *   pixel store                    `floatimage[k] += test` or                          after
 *                                  `floatimage[k] = floatimage[k] + test`
 *
 * Every point must be found exactly once; 0 or more than one is an error, never resolved
 * by guessing. One InstrumentationError lists every such point at once, with the nearest
 * lines of the user's file for each, and nothing is compiled: a partially instrumented
 * build never runs.
 *
 * Marker comments override recognition. A line holding only `/* nbparity: <point> *\/` or
 * `// nbparity: <point>` (the point's name above, or its short id: main, options,
 * pixel-loop, pixel-start, scattering, dmin, zero-lattice, accumulation, store) marks the
 * statement on the next line as that point: a "before" point's code is inserted right
 * after the marker line (so just before that statement); an "after" point's code right
 * after the end of that statement. A marker naming no point, a point marked twice, a
 * marker that shares its line with code, or an "after" marker with no statement after it
 * is an error naming the line.
 *
 * Every inserted block is wrapped in `#line` directives, so a compiler message about the
 * user's code names the user's file and line, and one about an inserted block names the
 * point (`nbparity instrumentation (<point>)`).
 *
 * A source that already traces (the hoidn golden fork: it has `-trace_pixel` and
 * `TRACE_C_PHI`) is detected and used as it is, built with -DTRACING.
 */
import { InputError } from '../contract.js';

export type CDialect = 'pristine' | 'golden' | 'nbparity-instrumented';

/** One point (or marker) that stops instrumentation. */
export interface InstrumentationProblem {
  /** the point's name; null for a marker comment that names no point */
  point: string | null;
  /** how many times the point was found (0 or more than 1); -1 for a bad marker */
  found: number;
  /** lines of the user's file where it was found (ambiguous) or the marker's line(s) */
  lines: number[];
  /** up to 3 nearest lines of the user's file (missing points) */
  candidates: Array<{ line: number; text: string }>;
  /** the problem in words (one or more lines, without the leading indent) */
  text: string;
}

export class InstrumentationError extends InputError {
  override name = 'InstrumentationError';
  /** the first problem's point, count and expected statement (kept for callers that name one point) */
  readonly point: string;
  readonly found: number;
  readonly pattern: string;
  constructor(readonly problems: InstrumentationProblem[], readonly file: string) {
    super(formatProblems(problems, file));
    const first = problems[0];
    this.point = first?.point ?? 'marker comment';
    this.found = first?.found ?? 0;
    this.pattern = (first?.point && POINTS.find((p) => p.name === first.point)?.expect) || '';
  }
}

function formatProblems(problems: InstrumentationProblem[], file: string): string {
  const pts = problems.filter((p) => p.point !== null && p.found >= 0);
  const marks = problems.filter((p) => p.found < 0);
  const head: string[] = [];
  if (pts.length) head.push(`recognised point ${pts.map((p) => `'${p.point}' found ${p.found} times (expected once)`).join(', ')}`);
  if (marks.length) head.push(`${marks.length} bad nbparity marker comment${marks.length > 1 ? 's' : ''} (${marks.map((m) => `line ${m.lines[0]}`).join(', ')})`);
  const lines = [`cannot instrument ${file}: ${head.join('; ')}; nothing was compiled.`];
  for (const p of problems) lines.push(...p.text.split('\n').map((l, i) => (i ? '      ' : '  - ') + l));
  if (pts.length) {
    lines.push('This nanoBragg.c differs from the versions nbparity recognises. For each point above, put its marker comment ' +
      '(quoted above) on a line of its own just before the statement it names; the marker overrides recognition.');
  }
  return lines.join('\n');
}

const MARKER = 'nbparity trace instrumentation';

export function detectDialect(source: string): CDialect {
  if (source.includes(MARKER)) return 'nbparity-instrumented';
  if (source.includes('TRACE_C_PHI') && source.includes('trace_spixel')) return 'golden';
  return 'pristine';
}

/** Helper functions placed before main(). */
const HELPERS = String.raw`
/* ---- ${MARKER} (inserted by nbparity into a copy; not part of nanoBragg.c) ---- */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#define NBP_MAXPIX 256
static int nbp_n = 0, nbp_ps[NBP_MAXPIX], nbp_pf[NBP_MAXPIX];
/* each thread buffers one traced pixel and prints it whole, so OpenMP threads never interleave */
static __thread char *nbp_buf = NULL;
static __thread size_t nbp_len = 0, nbp_cap = 0;
static int nbp_traced(int s, int f) { int i; for (i = 0; i < nbp_n; ++i) if (nbp_ps[i] == s && nbp_pf[i] == f) return 1; return 0; }
static void nbp_set(const char *s, const char *f) { if (nbp_n < NBP_MAXPIX) { nbp_ps[nbp_n] = atoi(s); nbp_pf[nbp_n] = atoi(f); ++nbp_n; } }
static void nbp_printf(const char *fmt, ...) {
    va_list ap; int need;
    va_start(ap, fmt); need = vsnprintf(NULL, 0, fmt, ap); va_end(ap);
    if (need < 0) return;
    if (nbp_len + (size_t)need + 1 > nbp_cap) { nbp_cap = 2*(nbp_len + (size_t)need + 1) + 4096; nbp_buf = (char *) realloc(nbp_buf, nbp_cap); }
    va_start(ap, fmt); vsnprintf(nbp_buf + nbp_len, nbp_cap - nbp_len, fmt, ap); va_end(ap);
    nbp_len += (size_t)need;
}
static void nbp_begin(int s, int f) { if (nbp_len == 0) nbp_printf("TRACE_C_PIXEL spixel=%d fpixel=%d\n", s, f); }
/* math calls: while setting up (main thread, before the pixel loop) and inside a traced pixel,
   each call of a libm function prints its function, argument and result as IEEE 754 bits */
static int nbp_libm_setup = 1;
static __thread int nbp_libm_px = 0;
static __thread long nbp_libm_count = 0;
#define NBP_LIBM_LIMIT 200000
static unsigned long long nbp_bits(double x) { union { double d; unsigned long long u; } v; v.d = x; return v.u; }
static void nbp_libm(const char *fn, double x, int two, double x2, double y) {
    if (!nbp_n || !(nbp_libm_setup || nbp_libm_px)) return;
    if (nbp_libm_count++ >= NBP_LIBM_LIMIT) {
        if (nbp_libm_count == NBP_LIBM_LIMIT + 1) { if (nbp_libm_px) nbp_printf("TRACE_C_LIBM_TRUNCATED after=%d\n", NBP_LIBM_LIMIT); else printf("TRACE_C_LIBM_TRUNCATED after=%d\n", NBP_LIBM_LIMIT); }
        return;
    }
    if (nbp_libm_px) {
        if (two) nbp_printf("TRACE_C_LIBM fn=%s x=%016llx x2=%016llx y=%016llx\n", fn, nbp_bits(x), nbp_bits(x2), nbp_bits(y));
        else nbp_printf("TRACE_C_LIBM fn=%s x=%016llx y=%016llx\n", fn, nbp_bits(x), nbp_bits(y));
    } else {
        if (two) printf("TRACE_C_LIBM fn=%s x=%016llx x2=%016llx y=%016llx\n", fn, nbp_bits(x), nbp_bits(x2), nbp_bits(y));
        else printf("TRACE_C_LIBM fn=%s x=%016llx y=%016llx\n", fn, nbp_bits(x), nbp_bits(y));
    }
}
static inline double nbp_sin(double x) { double y = sin(x); nbp_libm("sin", x, 0, 0, y); return y; }
static inline double nbp_cos(double x) { double y = cos(x); nbp_libm("cos", x, 0, 0, y); return y; }
static inline double nbp_tan(double x) { double y = tan(x); nbp_libm("tan", x, 0, 0, y); return y; }
static inline double nbp_exp(double x) { double y = exp(x); nbp_libm("exp", x, 0, 0, y); return y; }
static inline double nbp_log(double x) { double y = log(x); nbp_libm("log", x, 0, 0, y); return y; }
static inline double nbp_acos(double x) { double y = acos(x); nbp_libm("acos", x, 0, 0, y); return y; }
static inline double nbp_atan2(double a, double b) { double y = atan2(a, b); nbp_libm("atan2", a, 1, b, y); return y; }
static inline double nbp_pow(double a, double b) { double y = pow(a, b); nbp_libm("pow", a, 1, b, y); return y; }
static inline float nbp_powf(float a, float b) { float y = powf(a, b); nbp_libm("powf", a, 1, b, y); return y; }
#define sin(x) nbp_sin(x)
#define cos(x) nbp_cos(x)
#define tan(x) nbp_tan(x)
#define exp(x) nbp_exp(x)
#define log(x) nbp_log(x)
#define acos(x) nbp_acos(x)
#define atan2(a, b) nbp_atan2(a, b)
#define pow(a, b) nbp_pow(a, b)
#define powf(a, b) nbp_powf(a, b)
static void nbp_flush(void) {
    #pragma omp critical (nbparity_trace)
    { if (nbp_len) { fwrite(nbp_buf, 1, nbp_len, stdout); fflush(stdout); } }
    nbp_len = 0;
}
static void nbp_v(const char *n, double x, double y, double z) { nbp_printf("TRACE_C: %s %.17g %.17g %.17g\n", n, x, y, z); }
static void nbp_s(const char *n, double x) { nbp_printf("TRACE_C: %s %.17g\n", n, x); }
static void nbp_i(const char *n, int x) { nbp_printf("TRACE_C: %s %d\n", n, x); }
/* the loop counts this build will run: the harness checks every trace against them */
static void nbp_config(int thicksteps, int oversample, int sources, int phisteps, int mosaic_domains, int fpixels, int spixels) {
    int i; nbp_libm_setup = 0; for (i = 0; i < nbp_n; ++i) printf("TRACE_CONFIG: tracing pixel (spixel=%d, fpixel=%d)\n", nbp_ps[i], nbp_pf[i]);
    if (nbp_n) printf("TRACE_C_LOOPS thicksteps=%d oversample=%d sources=%d phisteps=%d mosaic_domains=%d fpixels=%d spixels=%d\n",
                      thicksteps, oversample, sources, phisteps, mosaic_domains, fpixels, spixels);
    fflush(stdout);
}
/* an evaluation the C skips on purpose (all its phi steps and mosaic domains), so the trace accounts for it */
static void nbp_skip(int s, int f, int thick_tic, int subS, int subF, int source, const char *why) {
    nbp_begin(s, f);
    nbp_printf("TRACE_C_SKIP thick_tic=%d subS=%d subF=%d source=%d reason=%s\n", thick_tic, subS, subF, source, why);
}
static void nbp_geometry(int s, int f, double *pix0, double *fdet, double *sdet, double *pos, double airpath, double omega, double close_distance,
                         double *diffracted, double *incident, double lambda, double *scattering) {
    nbp_begin(s, f); nbp_libm_px = 1;
    nbp_v("pix0_vector_meters", pix0[1], pix0[2], pix0[3]);
    nbp_v("fdet_vec", fdet[1], fdet[2], fdet[3]);
    nbp_v("sdet_vec", sdet[1], sdet[2], sdet[3]);
    nbp_v("pixel_pos_meters", pos[1], pos[2], pos[3]);
    nbp_s("R_distance_meters", airpath);
    nbp_s("omega_pixel_sr", omega);
    nbp_s("close_distance_meters", close_distance);
    nbp_s("obliquity_factor", close_distance/airpath);
    nbp_v("diffracted_vec", diffracted[1], diffracted[2], diffracted[3]);
    nbp_v("incident_vec", incident[1], incident[2], incident[3]);
    nbp_s("lambda_meters", lambda);
    nbp_s("lambda_angstroms", lambda*1e10);
    nbp_v("scattering_vec_A_inv", scattering[1], scattering[2], scattering[3]);
}
static void nbp_phi(int s, int f, int first, int thick_tic, int subS, int subF, int source, int mos_tic, int phi_tic, double phi,
                    double *a, double *b, double *c, double *a_star, double *b_star, double *c_star, double V_cell,
                    double h, double k, double l, double Fa, double Fb, double Fc, double F_latt, double F_cell, double contribution) {
    double ax=a[1]*1e10, ay=a[2]*1e10, az=a[3]*1e10, bx=b[1]*1e10, by=b[2]*1e10, bz=b[3]*1e10, cx=c[1]*1e10, cy=c[2]*1e10, cz=c[3]*1e10;
    nbp_begin(s, f);
    if (first) {
        nbp_v("rot_a_angstroms", ax, ay, az); nbp_v("rot_b_angstroms", bx, by, bz); nbp_v("rot_c_angstroms", cx, cy, cz);
        nbp_v("rot_a_star_A_inv", a_star[1], a_star[2], a_star[3]);
        nbp_v("rot_b_star_A_inv", b_star[1], b_star[2], b_star[3]);
        nbp_v("rot_c_star_A_inv", c_star[1], c_star[2], c_star[3]);
        nbp_v("hkl_frac", h, k, l);
        nbp_printf("TRACE_C: hkl_rounded %d %d %d\n", (int)ceil(h-0.5), (int)ceil(k-0.5), (int)ceil(l-0.5));
        nbp_s("F_latt_a", Fa); nbp_s("F_latt_b", Fb); nbp_s("F_latt_c", Fc); nbp_s("F_latt", F_latt);
        if (contribution == contribution && F_cell == F_cell) nbp_s("F_cell", F_cell);
    }
    nbp_printf("TRACE_C_PHI thick_tic=%d subS=%d subF=%d source=%d mos_tic=%d phi_tic=%d phi_deg=%.17g"
           " rot_a=%.17g,%.17g,%.17g rot_b=%.17g,%.17g,%.17g rot_c=%.17g,%.17g,%.17g"
           " rot_a_star=%.17g,%.17g,%.17g rot_b_star=%.17g,%.17g,%.17g rot_c_star=%.17g,%.17g,%.17g"
           " h_frac=%.17g k_frac=%.17g l_frac=%.17g F_latt_a=%.17g F_latt_b=%.17g F_latt_c=%.17g F_latt=%.17g"
           " F_cell=%.17g I_contribution=%.17g\n",
           thick_tic, subS, subF, source, mos_tic, phi_tic, phi*(180.0*M_1_PI),
           ax, ay, az, bx, by, bz, cx, cy, cz,
           (by*cz-bz*cy)/V_cell, (bz*cx-bx*cz)/V_cell, (bx*cy-by*cx)/V_cell,
           (cy*az-cz*ay)/V_cell, (cz*ax-cx*az)/V_cell, (cx*ay-cy*ax)/V_cell,
           (ay*bz-az*by)/V_cell, (az*bx-ax*bz)/V_cell, (ax*by-ay*bx)/V_cell,
           h, k, l, Fa, Fb, Fc, F_latt, F_cell, contribution);
}
static void nbp_final(int s, int f, double I, double r_e_sqr, double fluence, int steps, int os_thick, int os_polar, int os_omega,
                      double capture_fraction, double polar, double omega, double *incident, double *diffracted, double test, float stored) {
    nbp_begin(s, f);
    nbp_s("I_before_scaling", I); nbp_s("r_e_meters", sqrt(r_e_sqr)); nbp_s("r_e_sqr", r_e_sqr);
    nbp_s("fluence_photons_per_m2", fluence); nbp_i("steps", steps);
    nbp_i("oversample_thick", os_thick); nbp_i("oversample_polar", os_polar); nbp_i("oversample_omega", os_omega);
    nbp_s("capture_fraction", capture_fraction); nbp_s("polar", polar); nbp_s("omega_pixel", omega);
    nbp_s("cos_2theta", incident[1]*diffracted[1]+incident[2]*diffracted[2]+incident[3]*diffracted[3]);
    nbp_s("I_pixel_final", test); nbp_s("floatimage_accumulated", stored);
    nbp_libm_px = 0; nbp_libm_count = 0;
    nbp_flush();
}
/* ---- end of ${MARKER} ---- */
`;

const LATTICE_ARGS = '(xtal_shape==SQUARE&&Na>1)?sincg(M_PI*h,Na):1.0, (xtal_shape==SQUARE&&Nb>1)?sincg(M_PI*k,Nb):1.0, (xtal_shape==SQUARE&&Nc>1)?sincg(M_PI*l,Nc):1.0';

// ---------------------------------------------------------------------------------------------
// C tokens

interface Tok { k: 'id' | 'num' | 'str' | 'chr' | 'op' | 'pp'; t: string; s: number; e: number }
interface Comment { s: number; e: number; body: string }

const PUNCT3 = ['<<=', '>>=', '...'];
const PUNCT2 = ['->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##'];

/** length of a backslash-newline at `i` (`\` then LF or CRLF), else 0 */
function splice(src: string, i: number): number {
  if (src[i] !== '\\') return 0;
  if (src[i + 1] === '\n') return 2;
  if (src[i + 1] === '\r' && src[i + 2] === '\n') return 3;
  return 0;
}

function skipQuoted(src: string, i: number): number {
  const q = src[i];
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') { j += 2; continue; }
    if (c === q) return j + 1;
    if (c === '\n') return j;
    j++;
  }
  return src.length;
}

/** Tokens of C source: code tokens (a preprocessor directive is one 'pp' token, continuations included) and comments. */
export function lexC(src: string): { toks: Tok[]; comments: Comment[] } {
  const toks: Tok[] = [], comments: Comment[] = [];
  const n = src.length;
  let i = 0, bol = true;
  while (i < n) {
    const c = src[i];
    if (c === '\n') { bol = true; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    const sp = splice(src, i);
    if (sp) { i += sp; continue; }
    if (c === '/' && src[i + 1] === '/') {
      let j = i + 2;
      while (j < n && src[j] !== '\n') j += splice(src, j) || 1;
      comments.push({ s: i, e: j, body: src.slice(i + 2, j) });
      i = j; continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const k = src.indexOf('*/', i + 2);
      const j = k < 0 ? n : k + 2;
      comments.push({ s: i, e: j, body: src.slice(i + 2, k < 0 ? n : k) });
      i = j; continue;
    }
    if (c === '#' && bol) {
      let j = i + 1;
      while (j < n && src[j] !== '\n') {
        const s2 = splice(src, j);
        if (s2) { j += s2; continue; }
        if (src[j] === '/' && src[j + 1] === '*') { const k = src.indexOf('*/', j + 2); j = k < 0 ? n : k + 2; continue; }
        if (src[j] === '/' && src[j + 1] === '/') { while (j < n && src[j] !== '\n') j += splice(src, j) || 1; break; }
        if (src[j] === '"' || src[j] === '\'') { j = skipQuoted(src, j); continue; }
        j++;
      }
      let e = j;
      while (e > i && (src[e - 1] === '\r' || src[e - 1] === ' ' || src[e - 1] === '\t')) e--;
      toks.push({ k: 'pp', t: src.slice(i, e), s: i, e });
      i = j; continue;
    }
    bol = false;
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(src[j])) j++;
      toks.push({ k: 'id', t: src.slice(i, j), s: i, e: j }); i = j; continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n) {
        if (/[eEpP]/.test(src[j]) && (src[j + 1] === '+' || src[j + 1] === '-')) { j += 2; continue; }
        if (/[0-9A-Za-z_.]/.test(src[j])) { j++; continue; }
        break;
      }
      toks.push({ k: 'num', t: src.slice(i, j), s: i, e: j }); i = j; continue;
    }
    if (c === '"' || c === '\'') {
      const j = skipQuoted(src, i);
      toks.push({ k: c === '"' ? 'str' : 'chr', t: src.slice(i, j), s: i, e: j }); i = j; continue;
    }
    const p = PUNCT3.find((q) => src.startsWith(q, i)) ?? PUNCT2.find((q) => src.startsWith(q, i)) ?? c;
    toks.push({ k: 'op', t: p, s: i, e: i + p.length }); i += p.length;
  }
  return { toks, comments };
}

/** A directive's text with comments and continuations removed and white space collapsed. */
function ppText(t: string): string {
  return t.replace(/\\\r?\n/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/s, ' ').replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// expressions

type Ast =
  | { k: 'id'; name: string; a: number; b: number }
  | { k: 'num'; text: string; a: number; b: number }
  | { k: 'str'; text: string; a: number; b: number }
  | { k: 'bin'; op: string; l: Ast; r: Ast; a: number; b: number }
  | { k: 'un'; op: string; e: Ast; a: number; b: number }
  | { k: 'cast'; e: Ast; a: number; b: number }
  | { k: 'call'; f: Ast; args: Ast[]; a: number; b: number }
  | { k: 'idx'; x: Ast; i: Ast; a: number; b: number }
  | { k: 'mem'; x: Ast; name: string; a: number; b: number }
  | { k: 'post'; op: string; e: Ast; a: number; b: number }
  | { k: 'cond'; c: Ast; t: Ast; f: Ast; a: number; b: number }
  | { k: 'asg'; op: string; l: Ast; r: Ast; a: number; b: number }
  | { k: 'comma'; l: Ast; r: Ast; a: number; b: number };

const BIN: Record<string, number> = { '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10 };
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=']);
const TYPE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'const', 'volatile', 'register', 'static', 'auto', 'extern', 'restrict', 'struct', 'size_t']);
const C_KEYWORDS = new Set([...TYPE_WORDS, 'if', 'else', 'for', 'while', 'do', 'switch', 'case', 'default', 'break', 'continue', 'return', 'goto', 'sizeof', 'typedef', 'union', 'enum', 'inline']);

class ParseFail extends Error {}

/** Parse tokens [a, b) as one C expression; null when they are not one. */
function parseExpr(C: Tok[], a: number, b: number): Ast | null {
  let p = a;
  const peek = () => (p < b ? C[p] : undefined);
  const take = (t?: string): Tok => {
    const x = peek();
    if (!x || (t !== undefined && x.t !== t)) throw new ParseFail();
    p++; return x;
  };
  const closeOf = (open: number): number => {
    let d = 0;
    for (let j = open; j < b; j++) {
      const t = C[j].t;
      if (t === '(' || t === '[' || t === '{') d++;
      else if (t === ')' || t === ']' || t === '}') { d--; if (d === 0) return j; }
    }
    return -1;
  };
  const comma = (): Ast => {
    let l = assign();
    while (peek()?.t === ',') { p++; const r = assign(); l = { k: 'comma', l, r, a: l.a, b: r.b }; }
    return l;
  };
  const assign = (): Ast => {
    const l = cond();
    const x = peek();
    if (x && x.k === 'op' && ASSIGN.has(x.t)) { p++; const r = assign(); return { k: 'asg', op: x.t, l, r, a: l.a, b: r.b }; }
    return l;
  };
  const cond = (): Ast => {
    const c = bin(1);
    if (peek()?.t !== '?') return c;
    p++; const t = comma(); take(':'); const f = cond();
    return { k: 'cond', c, t, f, a: c.a, b: f.b };
  };
  const bin = (min: number): Ast => {
    let l = unary();
    for (;;) {
      const x = peek();
      const prec = x && x.k === 'op' ? BIN[x.t] : undefined;
      if (prec === undefined || prec < min) return l;
      p++;
      const r = bin(prec + 1);
      l = { k: 'bin', op: x!.t, l, r, a: l.a, b: r.b };
    }
  };
  const isCast = (): boolean => {
    if (peek()?.t !== '(') return false;
    const close = closeOf(p);
    if (close < 0) return false;
    const inner = C.slice(p + 1, close);
    if (inner.length && inner.every((t) => TYPE_WORDS.has(t.t) || t.t === '*') && inner.some((t) => TYPE_WORDS.has(t.t))) return true;
    // a typedef name: `(real) x`
    const next = close + 1 < b ? C[close + 1] : undefined;
    return inner.length === 1 && inner[0].k === 'id' && !!next && (next.k === 'id' || next.k === 'num' || next.t === '(');
  };
  const unary = (): Ast => {
    const x = peek();
    if (!x) throw new ParseFail();
    const s = p;
    if (x.k === 'op' && ['+', '-', '!', '~', '*', '&', '++', '--'].includes(x.t)) { p++; const e = unary(); return { k: 'un', op: x.t, e, a: s, b: e.b }; }
    if (x.t === 'sizeof') {
      p++;
      if (peek()?.t === '(') { const close = closeOf(p); if (close < 0) throw new ParseFail(); p = close + 1; return { k: 'un', op: 'sizeof', e: { k: 'num', text: '1', a: s, b: p }, a: s, b: p }; }
      const e = unary(); return { k: 'un', op: 'sizeof', e, a: s, b: e.b };
    }
    if (isCast()) { const close = closeOf(p); p = close + 1; const e = unary(); return { k: 'cast', e, a: s, b: e.b }; }
    return postfix();
  };
  const postfix = (): Ast => {
    let e = primary();
    for (;;) {
      const x = peek();
      if (x?.t === '[') { p++; const i = comma(); const c = take(']'); e = { k: 'idx', x: e, i, a: e.a, b: C.indexOf(c) + 1 }; continue; }
      if (x?.t === '(') {
        p++; const args: Ast[] = [];
        if (peek()?.t !== ')') { args.push(assign()); while (peek()?.t === ',') { p++; args.push(assign()); } }
        take(')'); e = { k: 'call', f: e, args, a: e.a, b: p }; continue;
      }
      if (x?.t === '.' || x?.t === '->') { p++; const name = take().t; e = { k: 'mem', x: e, name, a: e.a, b: p }; continue; }
      if (x?.t === '++' || x?.t === '--') { p++; e = { k: 'post', op: x.t, e, a: e.a, b: p }; continue; }
      return e;
    }
  };
  const primary = (): Ast => {
    const x = take();
    const s = p - 1;
    if (x.k === 'id' && !C_KEYWORDS.has(x.t)) return { k: 'id', name: x.t, a: s, b: p };
    if (x.k === 'num' || x.k === 'chr') return { k: 'num', text: x.t, a: s, b: p };
    if (x.k === 'str') { let text = x.t; while (peek()?.k === 'str') text += take().t; return { k: 'str', text, a: s, b: p }; }
    if (x.t === '(') { const e = comma(); take(')'); return e; }
    throw new ParseFail();
  };
  try {
    const e = comma();
    return p === b ? e : null;
  } catch (err) {
    if (err instanceof ParseFail) return null;
    throw err;
  }
}

const unwrap = (e: Ast): Ast => (e.k === 'cast' ? unwrap(e.e) : e);
const isId = (e: Ast | undefined, name: string): boolean => !!e && unwrap(e).k === 'id' && (unwrap(e) as { name: string }).name === name;
function isZero(e: Ast): boolean {
  const u = unwrap(e);
  if (u.k !== 'num') return false;
  const v = Number(u.text.replace(/[uUlLfF]+$/, ''));
  return v === 0;
}
function factors(e: Ast): Ast[] {
  const u = unwrap(e);
  return u.k === 'bin' && u.op === '*' ? [...factors(u.l), ...factors(u.r)] : [u];
}
/** F_cell*F_cell*F_latt*F_latt, factors in any order, with any parentheses and casts */
function isIntensity(e: Ast): boolean {
  const f = factors(e);
  if (f.length !== 4 || !f.every((x) => x.k === 'id')) return false;
  const names = f.map((x) => (x as { name: string }).name).sort();
  return names.join(',') === 'F_cell,F_cell,F_latt,F_latt';
}
function conjuncts(e: Ast): Ast[] {
  const u = unwrap(e);
  return u.k === 'bin' && u.op === '&&' ? [...conjuncts(u.l), ...conjuncts(u.r)] : [u];
}
/** `name OP 0` or the mirrored `0 OP' name` */
function comparesWithZero(e: Ast, name: string, op: '>' | '=='): boolean {
  if (e.k !== 'bin') return false;
  const mirror = op === '>' ? '<' : '==';
  return (e.op === op && isId(e.l, name) && isZero(e.r)) || (e.op === mirror && isZero(e.l) && isId(e.r, name));
}
function walk(e: Ast, f: (x: Ast) => void): void {
  f(e);
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) v.forEach((x) => walk(x, f));
    else if (v && typeof v === 'object' && 'k' in v) walk(v as Ast, f);
  }
}
function ids(e: Ast): Set<string> {
  const s = new Set<string>();
  walk(e, (x) => { if (x.k === 'id') s.add(x.name); });
  return s;
}
/** `x + y` in either order: the other operand when one is `name`-like (by `same`) */
function plusOther(e: Ast, same: (x: Ast) => boolean): Ast | null {
  const u = unwrap(e);
  if (u.k !== 'bin' || u.op !== '+') return null;
  if (same(u.l)) return u.r;
  if (same(u.r)) return u.l;
  return null;
}

// ---------------------------------------------------------------------------------------------
// the program's structure

class Source {
  readonly toks: Tok[];
  readonly comments: Comment[];
  /** code tokens (no directives) */
  readonly C: Tok[];
  /** directives */
  readonly P: Tok[];
  /** matching bracket of each code token, -1 when none */
  readonly match: number[];
  /** bracket depth ((), []) and brace depth ({}) before each code token */
  readonly pdepth: number[];
  readonly bdepth: number[];
  /** number of directives before each code token */
  readonly ppBefore: number[];
  private readonly lineStarts: number[];
  readonly lines: string[];

  constructor(readonly src: string) {
    const { toks, comments } = lexC(src);
    this.toks = toks; this.comments = comments;
    this.C = toks.filter((t) => t.k !== 'pp');
    this.P = toks.filter((t) => t.k === 'pp');
    this.match = new Array(this.C.length).fill(-1);
    this.pdepth = []; this.bdepth = []; this.ppBefore = [];
    let pd = 0, bd = 0, pp = 0;
    const closer: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    for (let i = 0, ti = 0; i < this.C.length; i++) {
      while (ti < toks.length && toks[ti] !== this.C[i]) { if (toks[ti].k === 'pp') pp++; ti++; }
      ti++;
      this.ppBefore.push(pp);
      const t = this.C[i].t;
      this.pdepth.push(pd); this.bdepth.push(bd);
      if (t === '(' || t === '[') pd++;
      else if (t === ')' || t === ']') pd = Math.max(0, pd - 1);
      else if (t === '{') bd++;
      else if (t === '}') bd = Math.max(0, bd - 1);
    }
    // second pass for matches (simple stack per kind of bracket)
    const st: number[] = [];
    for (let i = 0; i < this.C.length; i++) {
      const t = this.C[i].t;
      if (t === '(' || t === '[' || t === '{') st.push(i);
      else if (t in closer) {
        let at = st.length - 1;
        while (at >= 0 && this.C[st[at]].t !== closer[t]) at--;
        if (at >= 0) { const o = st[at]; st.length = at; this.match[o] = i; this.match[i] = o; }
      }
    }
    this.lineStarts = [0];
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
    this.lines = src.split('\n').map((l) => l.replace(/\r$/, ''));
  }

  /** 1-based line of an offset */
  lineOf(off: number): number {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.lineStarts[mid] <= off) lo = mid; else hi = mid - 1; }
    return lo + 1;
  }
  lineStart(off: number): number { return this.lineStarts[this.lineOf(off) - 1]; }
  /** offset just after the line end ('\n') of the line holding `off`; -1 at the last line without one */
  nextLineStart(off: number): number { const l = this.lineOf(off); return l < this.lineStarts.length ? this.lineStarts[l] : -1; }

  /** index of the first code token at or after `off` */
  codeAt(off: number): number {
    let lo = 0, hi = this.C.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.C[mid].s < off) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /** tokens [a, b] as one line of C (comments dropped) */
  text(a: number, bExclusive: number): string { return this.C.slice(a, bExclusive).map((t) => t.t).join(' '); }

  /** a statement may begin at token i (not a sub-statement of if/else/for/while/do, not inside parentheses) */
  isStart(i: number): boolean {
    if (this.pdepth[i] !== 0) return false;
    const prev = this.C[i - 1]?.t;
    return prev === undefined || prev === ';' || prev === '{' || prev === '}';
  }
  /** a statement begins at token i as the body of if/else/for/while/do or after a label */
  isSubStart(i: number): boolean {
    if (this.pdepth[i] !== 0) return false;
    const prev = this.C[i - 1]?.t;
    return prev === ')' || prev === 'else' || prev === 'do' || prev === ':';
  }

  /** the ';' that ends the expression/declaration statement starting at i, or -1 */
  simpleEnd(i: number): number {
    for (let j = i; j < this.C.length; j++) {
      const t = this.C[j].t;
      if (t === '{' && j > i && !['=', ',', '{'].includes(this.C[j - 1].t)) return -1;
      if (t === '(' || t === '[' || t === '{') { if (this.match[j] < 0) return -1; j = this.match[j]; continue; }
      if (t === ';') return j;
      if (t === ')' || t === ']' || t === '}') return -1;
    }
    return -1;
  }

  /** last token of the whole statement starting at i (compound, if/else, loops, do-while), or -1 */
  stmtEnd(i: number, depth = 0): number {
    const C = this.C, t = C[i]?.t;
    if (t === undefined || depth > 200) return -1;
    if (t === '{') return this.match[i];
    if (t === 'if' || t === 'for' || t === 'while' || t === 'switch') {
      if (C[i + 1]?.t !== '(' || this.match[i + 1] < 0) return -1;
      let e = this.stmtEnd(this.match[i + 1] + 1, depth + 1);
      if (t === 'if' && e >= 0 && C[e + 1]?.t === 'else') e = this.stmtEnd(e + 2, depth + 1);
      return e;
    }
    if (t === 'do') {
      const e = this.stmtEnd(i + 1, depth + 1);
      if (e < 0 || C[e + 1]?.t !== 'while' || C[e + 2]?.t !== '(' || this.match[e + 2] < 0) return -1;
      return C[this.match[e + 2] + 1]?.t === ';' ? this.match[e + 2] + 1 : -1;
    }
    if (t === '}' || t === ')' || t === ']') return -1;
    return this.simpleEnd(i);
  }

  /** the assignment (or initialised declaration) statement starting at i */
  assignmentAt(i: number): { decl: boolean; op: string; l: Ast; r: Ast; end: number } | null {
    const end = this.simpleEnd(i);
    if (end < 0) return null;
    let k = i;
    while (k < end && TYPE_WORDS.has(this.C[k].t)) k++;
    let decl = k > i;
    if (!decl && this.C[k].k === 'id' && this.C[k + 1]?.k === 'id') { k++; decl = true; } // a typedef'd type
    while (decl && this.C[k]?.t === '*') k++;
    let e = parseExpr(this.C, k, end);
    while (e && e.k === 'comma') e = e.l;
    if (!e || e.k !== 'asg') return null;
    return { decl, op: e.op, l: e.l, r: e.r, end };
  }

  /** the if statement starting at i: its condition, the tokens of its test, and its body's first token */
  ifAt(i: number): { cond: Ast; a: number; b: number; body: number } | null {
    if (this.C[i]?.t !== 'if' || this.C[i + 1]?.t !== '(') return null;
    const close = this.match[i + 1];
    if (close < 0) return null;
    const cond = parseExpr(this.C, i + 2, close);
    return cond ? { cond, a: i + 2, b: close, body: close + 1 } : null;
  }
}

// ---------------------------------------------------------------------------------------------
// the points

/** Where a point was found: `s`..`e` are offsets of the statement (or directive) in the source. */
interface Hit { s: number; e: number; vars?: Record<string, string> }

interface Scope {
  src: Source;
  /** code-token range of main's body (exclusive), or the whole file */
  lo: number; hi: number;
  /** main's parameter names */
  argc: string; argv: string;
}

interface Point {
  name: string;
  /** a short marker alias */
  id: string;
  where: 'before' | 'after';
  /** the statement as upstream nanoBragg.c writes it (messages, nearest-line scoring) */
  expect: string;
  /** what recognition looks for, in words */
  what: string;
  code: (v: Record<string, string>) => string;
  /** hits at statements that begin where a statement may begin (`sub`: as the body of if/else/loops instead) */
  find: (sc: Scope, sub: boolean) => Hit[];
}

function* starts(sc: Scope, sub: boolean): Generator<number> {
  for (let i = sc.lo; i < sc.hi; i++) if (sub ? sc.src.isSubStart(i) : sc.src.isStart(i)) yield i;
}
function assignments(sc: Scope, sub: boolean, f: (a: NonNullable<ReturnType<Source['assignmentAt']>>, i: number) => Record<string, string> | boolean): Hit[] {
  const out: Hit[] = [];
  for (const i of starts(sc, sub)) {
    const a = sc.src.assignmentAt(i);
    if (!a) continue;
    const v = f(a, i);
    if (v) out.push({ s: sc.src.C[i].s, e: sc.src.C[a.end].e, vars: typeof v === 'object' ? v : undefined });
  }
  return out;
}
function ifs(sc: Scope, sub: boolean, f: (x: NonNullable<ReturnType<Source['ifAt']>>) => Record<string, string> | boolean): Hit[] {
  const out: Hit[] = [];
  for (const i of starts(sc, sub)) {
    const x = sc.src.ifAt(i);
    if (!x) continue;
    const v = f(x);
    if (v) out.push({ s: sc.src.C[i].s, e: sc.src.C[Math.max(i, sc.src.stmtEnd(i))].e, vars: typeof v === 'object' ? v : undefined });
  }
  return out;
}

/** main's definition at file scope: the code-token index of `main`, of its body's `{`, and the declaration's first token */
function findMains(src: Source): Array<{ at: number; open: number; first: number; params: string[] }> {
  const out = [];
  const C = src.C;
  for (let i = 0; i < C.length; i++) {
    if (C[i].t !== 'main' || src.bdepth[i] !== 0 || src.pdepth[i] !== 0 || C[i + 1]?.t !== '(') continue;
    const close = src.match[i + 1];
    if (close < 0 || C[close + 1]?.t !== '{') continue;
    let first = i;
    while (first > 0 && (['int', 'static', 'extern', 'signed', 'long', 'unsigned'].includes(C[first - 1].t) || C[first - 1].t === '*') && src.ppBefore[first - 1] === src.ppBefore[first]) first--;
    const params: string[] = [];
    let cur: string | null = null;
    for (let j = i + 2; j <= close; j++) {
      const t = C[j];
      if (t.t === '(' || t.t === '[') { j = Math.max(j, src.match[j]); continue; }
      if (t.t === ',' || j === close) { if (cur) params.push(cur); cur = null; continue; }
      if (t.k === 'id' && !TYPE_WORDS.has(t.t)) cur = t.t;
    }
    out.push({ at: i, open: close + 1, first, params });
  }
  return out;
}

export const POINTS: Point[] = [
  {
    name: 'main() entry', id: 'main', where: 'before', expect: 'int main(int argc, char** argv)',
    what: 'the definition of main(argc, argv) at file scope',
    code: () => HELPERS,
    find: (sc, sub) => (sub ? [] : findMains(sc.src).map((m) => ({ s: sc.src.C[m.first].s, e: sc.src.C[m.open].s }))),
  },
  {
    name: 'option loop (-Na)', id: 'options', where: 'before', expect: 'if(strstr(argv[i], "-Na") && (argc > (i+1)))',
    what: 'the test for the option "-Na" on argv[i] in the command-line loop',
    code: (v) => `            if(0==strcmp(${v.argv}[${v.i}], "-trace_pixel") && (${v.argc} > (${v.i}+2))) { nbp_set(${v.argv}[${v.i}+1], ${v.argv}[${v.i}+2]); continue; }\n`,
    find: (sc, sub) => ifs(sc, sub, (x) => {
      let vars: Record<string, string> | null = null;
      walk(x.cond, (e) => {
        if (e.k !== 'call' || !e.args.some((a) => a.k === 'str' && a.text === '"-Na"')) return;
        const arg = e.args.map(unwrap).find((a) => a.k === 'idx' && a.x.k === 'id');
        if (arg && arg.k === 'idx' && arg.x.k === 'id') vars = { argv: arg.x.name, i: sc.src.text(arg.i.a, arg.i.b), argc: sc.argc };
      });
      return vars ?? false;
    }),
  },
  {
    name: 'pixel loop (omp parallel for)', id: 'pixel-loop', where: 'before', expect: '#pragma omp parallel for',
    what: 'the OpenMP directive "#pragma omp parallel ..." of the loop over spixel/fpixel',
    code: () => '    nbp_config(detector_thicksteps,oversample,sources,phisteps,mosaic_domains,fpixels,spixels);\n',
    find: (sc, sub) => {
      if (sub) return [];
      const src = sc.src, out: Hit[] = [];
      const lo = src.C[sc.lo]?.s ?? 0, hi = src.C[sc.hi - 1]?.e ?? src.src.length;
      for (const d of src.P) {
        if (d.s < lo || d.s > hi || !/^#\s*pragma\s+omp\s+parallel\b/.test(ppText(d.t))) continue;
        const k = src.codeAt(d.e), e = src.stmtEnd(k);
        if (e < 0 || !src.C.slice(k, e + 1).some((t) => t.t === 'spixel' || t.t === 'fpixel')) continue;
        out.push({ s: d.s, e: d.e });
      }
      return out;
    },
  },
  {
    // a traced pixel's math calls are logged from here (its curved-detector rotation comes before its geometry point)
    name: 'pixel start (I = I_bg)', id: 'pixel-start', where: 'after', expect: 'I = I_bg;',
    what: 'the assignment I = I_bg that starts a pixel',
    code: () => '            if(nbp_traced(spixel,fpixel)) nbp_libm_px = 1;\n',
    find: (sc, sub) => assignments(sc, sub, (a) => !a.decl && a.op === '=' && isId(a.l, 'I') && isId(a.r, 'I_bg')),
  },
  {
    name: 'scattering vector', id: 'scattering', where: 'after', expect: 'scattering[3] = (diffracted[3]-incident[3])/lambda;',
    what: 'the assignment of scattering[3] from diffracted and incident',
    code: () => '                            if(nbp_traced(spixel,fpixel) && source==0) nbp_geometry(spixel,fpixel,pix0_vector,fdet_vector,sdet_vector,pixel_pos,airpath,omega_pixel,close_distance,diffracted,incident,lambda,scattering);\n',
    find: (sc, sub) => assignments(sc, sub, (a) => {
      const l = unwrap(a.l);
      if (a.decl || a.op !== '=' || l.k !== 'idx' || !isId(l.x, 'scattering')) return false;
      const i = unwrap(l.i);
      const r = ids(a.r);
      return i.k === 'num' && Number(i.text) === 3 && r.has('diffracted') && r.has('incident');
    }),
  },
  {
    name: 'resolution cut (-dmin)', id: 'dmin', where: 'before', expect: 'if(dmin > 0.0 && stol > 0.0)',
    what: 'the test if(dmin > 0 && stol ...) that skips pixels beyond the resolution limit',
    code: () => '                            if(nbp_traced(spixel,fpixel) && dmin > 0.0 && stol > 0.0 && dmin > 0.5/stol) nbp_skip(spixel,fpixel,thick_tic,subS,subF,source,"dmin");\n',
    find: (sc, sub) => ifs(sc, sub, (x) => conjuncts(x.cond).some((c) => comparesWithZero(c, 'dmin', '>')) && ids(x.cond).has('stol')),
  },
  {
    name: 'zero lattice factor skip', id: 'zero-lattice', where: 'before', expect: 'if(F_latt == 0.0 && water_size == 0.0) continue;',
    what: 'the test if(F_latt == 0 ...) continue; that skips a zero lattice factor',
    code: (v) => `                                    if(nbp_traced(spixel,fpixel) && (${v.cond})) nbp_phi(spixel,fpixel,source==0&&mos_tic==0&&phi_tic==0, thick_tic,subS,subF,source,mos_tic,phi_tic,phi,a,b,c,a_star,b_star,c_star,V_cell,h,k,l,${LATTICE_ARGS},F_latt,NAN,0.0);\n`,
    find: (sc, sub) => ifs(sc, sub, (x) => {
      if (!conjuncts(x.cond).some((c) => comparesWithZero(c, 'F_latt', '=='))) return false;
      const C = sc.src.C, b = x.body;
      const cont = (C[b]?.t === 'continue' && C[b + 1]?.t === ';') || (C[b]?.t === '{' && C[b + 1]?.t === 'continue' && C[b + 2]?.t === ';' && C[b + 3]?.t === '}');
      return cont ? { cond: sc.src.text(x.a, x.b) } : false;
    }),
  },
  {
    name: 'intensity accumulation', id: 'accumulation', where: 'before', expect: 'I += F_cell*F_cell*F_latt*F_latt;',
    what: 'the statement that first computes F_cell*F_cell*F_latt*F_latt, added to I directly (I += ..., I = I + ...) or through a local (v = ...; I += v;)',
    code: () => `                                    if(nbp_traced(spixel,fpixel)) nbp_phi(spixel,fpixel,source==0&&mos_tic==0&&phi_tic==0, thick_tic,subS,subF,source,mos_tic,phi_tic,phi,a,b,c,a_star,b_star,c_star,V_cell,h,k,l,${LATTICE_ARGS},F_latt,F_cell,F_cell*F_cell*F_latt*F_latt);\n`,
    find: (sc, sub) => {
      // statements that add a local to I: I += v, I = I + v, I = v + I
      const addsToI = (name: string, from: number): boolean => {
        for (let i = from; i < sc.hi; i++) {
          if (!sc.src.isStart(i) && !sc.src.isSubStart(i)) continue;
          const a = sc.src.assignmentAt(i);
          if (!a || a.decl || !isId(a.l, 'I')) continue;
          if (a.op === '+=' && isId(a.r, name)) return true;
          if (a.op === '=' && plusOther(a.r, (x) => isId(x, 'I')) && isId(plusOther(a.r, (x) => isId(x, 'I'))!, name)) return true;
        }
        return false;
      };
      return assignments(sc, sub, (a, i) => {
        if (isId(a.l, 'I') && !a.decl) {
          if (a.op === '+=') return isIntensity(a.r);
          if (a.op === '=') { const o = plusOther(a.r, (x) => isId(x, 'I')); return !!o && isIntensity(o); }
          return false;
        }
        const l = unwrap(a.l);
        return a.op === '=' && l.k === 'id' && isIntensity(a.r) && addsToI(l.name, i + 1);
      });
    },
  },
  {
    name: 'pixel store', id: 'store', where: 'after', expect: 'floatimage[imgidx] += test;',
    what: 'the store floatimage[imgidx] += test (or floatimage[imgidx] = floatimage[imgidx] + test)',
    code: (v) => `            if(nbp_traced(spixel,fpixel)) nbp_final(spixel,fpixel,I,r_e_sqr,fluence,steps,oversample_thick,oversample_polar,oversample_omega,capture_fraction,polar,omega_pixel,incident,diffracted,test,floatimage[${v.idx}]);\n`,
    find: (sc, sub) => assignments(sc, sub, (a) => {
      const l = unwrap(a.l);
      if (a.decl || l.k !== 'idx' || !isId(l.x, 'floatimage')) return false;
      const idx = sc.src.text(l.i.a, l.i.b);
      if (a.op === '+=') return isId(a.r, 'test') ? { idx } : false;
      if (a.op !== '=') return false;
      const same = (x: Ast) => { const u = unwrap(x); return u.k === 'idx' && isId(u.x, 'floatimage') && sc.src.text(u.i.a, u.i.b) === idx; };
      const o = plusOther(a.r, same);
      return o && isId(o, 'test') ? { idx } : false;
    }),
  },
];

/** The marker comment that names a point. */
export function markerFor(point: string): string { return `/* nbparity: ${point} */`; }

const DEFAULT_VARS: Record<string, string> = { argv: 'argv', argc: 'argc', i: 'i', cond: 'F_latt == 0.0 && water_size == 0.0', idx: 'imgidx' };

/** A `#line` directive's file name, quoted as C wants it. */
export function cString(s: string): string { return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"'; }

/** Where a point's code went. */
export interface Placement { point: string; by: 'recognised' | 'marker'; where: 'before' | 'after'; /** 1-based line of the user's statement (or marker) */ line: number }

interface Insertion { at: number; split: boolean; point: Point; vars: Record<string, string> }

/**
 * Insert the trace points into a copy of a pristine nanoBragg.c; throws one
 * InstrumentationError listing every point not found exactly once (and every bad marker).
 * Each inserted block is wrapped in `#line` directives, so a compiler message about the
 * user's code names the user's file and line (`file`), and one about an inserted block names
 * the instrumentation point.
 */
export function instrument(source: string, opts: { file?: string } = {}): { text: string; points: string[]; placements: Placement[] } {
  const dialect = detectDialect(source);
  if (dialect !== 'pristine') throw new Error(`instrument(): source is already ${dialect}`);
  const file = opts.file ?? 'nanoBragg.c';
  const src = new Source(source);
  const problems: InstrumentationProblem[] = [];

  // markers
  const byName = new Map<string, Point>();
  for (const p of POINTS) { byName.set(norm(p.name), p); byName.set(norm(p.id), p); }
  const markers = new Map<Point, Comment[]>();
  for (const c of src.comments) {
    const body = c.body.replace(/^\s*\*+/, '').trim();
    const m = /^nbparity\s*:\s*([\s\S]*)$/i.exec(body);
    if (!m) continue;
    const line = src.lineOf(c.s);
    const raw = source.slice(c.s, c.e).replace(/\r/g, '');
    const before = source.slice(src.lineStart(c.s), c.s), nl = source.indexOf('\n', c.e);
    const after = source.slice(c.e, nl < 0 ? source.length : nl);
    const p = byName.get(norm(m[1]));
    if (!p) {
      problems.push({ point: null, found: -1, lines: [line], candidates: [], text: `line ${line}: marker ${raw} names no instrumentation point; the points are ${POINTS.map((q) => `'${q.name}'`).join(', ')} (or their short names ${POINTS.map((q) => q.id).join(', ')})` });
      continue;
    }
    if (before.trim() !== '' || after.trim() !== '') {
      problems.push({ point: p.name, found: -1, lines: [line], candidates: [], text: `line ${line}: marker ${raw} must be on a line of its own (just before the statement it marks)` });
      continue;
    }
    markers.set(p, [...(markers.get(p) ?? []), c]);
  }
  for (const [p, cs] of markers) {
    if (cs.length > 1) {
      const ls = cs.map((c) => src.lineOf(c.s));
      problems.push({ point: p.name, found: -1, lines: ls, candidates: [], text: `lines ${ls.join(' and ')}: the marker ${markerFor(p.name)} appears ${cs.length} times (a point is marked once)` });
    }
  }

  // main's body bounds the other points
  const mainMarker = markers.get(POINTS[0]);
  let scope: Scope = { src, lo: 0, hi: src.C.length, argc: 'argc', argv: 'argv' };
  const mains = findMains(src);
  if (mainMarker?.length === 1) {
    const k = src.codeAt(mainMarker[0].e);
    const m = mains.find((x) => x.first >= k);
    const open = m && m.first === k ? m.open : src.C.findIndex((t, j) => j >= k && t.t === '{' && src.bdepth[j] === 0);
    if (open >= 0 && src.match[open] > open) scope = { ...scope, lo: open + 1, hi: src.match[open], ...(m && m.first === k && m.params.length >= 2 ? { argc: m.params[0], argv: m.params[1] } : {}) };
  } else if (mains.length === 1 && src.match[mains[0].open] > mains[0].open) {
    const m = mains[0];
    scope = { ...scope, lo: m.open + 1, hi: src.match[m.open], ...(m.params.length >= 2 ? { argc: m.params[0], argv: m.params[1] } : {}) };
  }

  const insertions: Insertion[] = [];
  const placements: Placement[] = [];
  for (const p of POINTS) {
    const ms = markers.get(p);
    if (ms?.length === 1) {
      const c = ms[0];
      const line = src.lineOf(c.s);
      const vars: Record<string, string> = { ...DEFAULT_VARS, argc: scope.argc, argv: scope.argv };
      const k = src.codeAt(c.e);
      if (p.where === 'before') {
        const at = src.nextLineStart(c.e);
        if (at < 0 || k >= src.C.length) { problems.push({ point: p.name, found: -1, lines: [line], candidates: [], text: `line ${line}: marker ${markerFor(p.name)} is not followed by code` }); continue; }
        // the statement it marks can still lend its names (the test of an `if`, argv[i], floatimage[k])
        const x = src.ifAt(k);
        if (p.id === 'zero-lattice' && x) vars.cond = src.text(x.a, x.b);
        insertions.push({ at, split: false, point: p, vars });
      } else {
        const e = src.stmtEnd(k);
        if (e < 0 || src.C[k].t === '}') { problems.push({ point: p.name, found: -1, lines: [line], candidates: [], text: `line ${line}: marker ${markerFor(p.name)} is not followed by a statement (its code goes after the statement on the next line)` }); continue; }
        const a = src.assignmentAt(k);
        if (p.id === 'store' && a) { const l = unwrap(a.l); if (l.k === 'idx') vars.idx = src.text(l.i.a, l.i.b); }
        insertions.push({ ...after(src, src.C[e].e), point: p, vars });
      }
      placements.push({ point: p.name, by: 'marker', where: p.where, line });
      continue;
    }
    if (ms && ms.length > 1) continue; // reported above
    const hits = p.find(scope, false);
    if (hits.length === 1) {
      const h = hits[0];
      const vars = { ...DEFAULT_VARS, argc: scope.argc, argv: scope.argv, ...h.vars };
      insertions.push(p.where === 'before' ? { ...before(src, h.s), point: p, vars } : { ...after(src, h.e), point: p, vars });
      placements.push({ point: p.name, by: 'recognised', where: p.where, line: src.lineOf(h.s) });
      continue;
    }
    const mk = markerFor(p.name);
    if (hits.length > 1) {
      const ls = hits.map((h) => src.lineOf(h.s));
      const cands = ls.slice(0, 3).map((l) => ({ line: l, text: clipLine(src.lines[l - 1]) }));
      problems.push({
        point: p.name, found: hits.length, lines: ls, candidates: cands,
        text: `'${p.name}' found ${hits.length} times, expected once: ${p.what}. Found at:\n` +
          cands.map((c) => `  line ${c.line}: ${c.text}`).join('\n') + (ls.length > 3 ? `\n  and ${ls.length - 3} more (lines ${ls.slice(3).join(', ')})` : '') +
          `\nfix: put ${mk} on its own line just before the one meant (its code goes ${p.where} that statement)`,
      });
      continue;
    }
    // not found: the nearest lines, and any match where code cannot be inserted
    const subs = p.find(scope, true).map((h) => src.lineOf(h.s));
    const cands = nearest(src, p.expect, 3);
    problems.push({
      point: p.name, found: 0, lines: [], candidates: cands,
      text: `'${p.name}' not found: ${p.what} (upstream: ${p.expect}).` +
        (subs.length ? `\n${subs.map((l) => `line ${l} matches but is the body of an if/else/loop without braces (or follows a label), where nbparity cannot insert code: add braces or a marker`).join('\n')}` : '') +
        (cands.length ? `\nnearest lines:\n${cands.map((c) => `  line ${c.line}: ${c.text}`).join('\n')}` : '\nno similar line in the file') +
        `\nfix: put ${mk} on its own line just before the statement (its code goes ${p.where} it)`,
    });
  }
  if (problems.length) {
    problems.sort((a, b) => (a.found < 0 ? 0 : 1) - (b.found < 0 ? 0 : 1));
    throw new InstrumentationError(problems, file);
  }

  // assemble, in source order; each block starts on a line of its own and ends with a #line back to the user's file
  insertions.sort((a, b) => a.at - b.at || POINTS.indexOf(a.point) - POINTS.indexOf(b.point));
  let out = '', pos = 0;
  for (const ins of insertions) {
    out += source.slice(pos, ins.at);
    const line = src.lineOf(ins.at); // the user's line that resumes after the block
    const head = `#line 1 ${cString(`nbparity instrumentation (${ins.point.name})`)}\n`;
    const back = `#line ${line} ${cString(file)}\n`;
    if (ins.split) {
      const pad = source.slice(src.lineStart(ins.at), ins.at).replace(/[^\t]/g, ' ');
      out += '\n' + head + ins.point.code(ins.vars) + back + pad;
    } else {
      out += head + ins.point.code(ins.vars) + back;
    }
    pos = ins.at;
  }
  out += source.slice(pos);
  placements.sort((a, b) => POINTS.findIndex((p) => p.name === a.point) - POINTS.findIndex((p) => p.name === b.point));
  return { text: out, points: POINTS.map((p) => p.name), placements };
}

/** insert before the code at `s`: at its line's start when only white space precedes it there, else by splitting the line */
function before(src: Source, s: number): { at: number; split: boolean } {
  const ls = src.lineStart(s);
  return src.src.slice(ls, s).trim() === '' ? { at: ls, split: false } : { at: s, split: true };
}
/** insert after the code ending at `e`: at the next line's start when only white space or a comment follows on the line, else by splitting it */
function after(src: Source, e: number): { at: number; split: boolean } {
  const nl = src.nextLineStart(e);
  const rest = src.src.slice(e, nl < 0 ? src.src.length : nl);
  const k = src.codeAt(e);
  const codeOnLine = k < src.C.length && src.C[k].s < (nl < 0 ? Infinity : nl);
  const ppOnLine = src.P.some((d) => d.s >= e && d.s < (nl < 0 ? Infinity : nl));
  const unclosed = /\/\*(?![\s\S]*\*\/)/.test(rest); // a block comment that goes on past this line
  if (nl < 0 || codeOnLine || ppOnLine || unclosed) return { at: e, split: true };
  return { at: nl, split: false };
}

function norm(s: string): string { return s.toLowerCase().replace(/\s+/g, ' ').trim(); }
function clipLine(l: string | undefined): string { const t = (l ?? '').trim(); return t.length > 120 ? t.slice(0, 117) + '...' : t; }

/**
 * The lines whose identifiers (and string literals) overlap most with the expected
 * statement's, best first: Jaccard overlap with each word weighted by its rarity in the file
 * (log(1 + lines / lines holding it)), so a line sharing F_latt beats one sharing only I.
 * Keywords do not count, and a line must share at least one word.
 */
function nearest(src: Source, expect: string, n: number): Array<{ line: number; text: string }> {
  const words = (t: string) => (t.match(/[A-Za-z_]\w*|"(?:[^"\\\n]|\\.)*"/g) ?? []).filter((w) => !C_KEYWORDS.has(w));
  const want = new Set(words(expect));
  const perLine = new Map<number, Set<string>>();
  for (const t of src.toks) {
    const ws = t.k === 'pp' ? words(ppText(t.t)) : (t.k === 'id' && !C_KEYWORDS.has(t.t)) || t.k === 'str' ? [t.t] : [];
    if (!ws.length) continue;
    const l = src.lineOf(t.s);
    const set = perLine.get(l) ?? new Set<string>();
    ws.forEach((w) => set.add(w));
    perLine.set(l, set);
  }
  const df = new Map<string, number>();
  for (const set of perLine.values()) for (const w of set) df.set(w, (df.get(w) ?? 0) + 1);
  const weight = (w: string) => Math.log(1 + perLine.size / (df.get(w) ?? 1));
  const scored: Array<{ line: number; score: number }> = [];
  for (const [line, have] of perLine) {
    let common = 0, union = 0;
    for (const w of have) { union += weight(w); if (want.has(w)) common += weight(w); }
    for (const w of want) if (!have.has(w)) union += weight(w);
    if (common > 0) scored.push({ line, score: common / union });
  }
  scored.sort((a, b) => b.score - a.score || a.line - b.line);
  return scored.slice(0, n).map((c) => ({ line: c.line, text: clipLine(src.lines[c.line - 1]) }));
}
