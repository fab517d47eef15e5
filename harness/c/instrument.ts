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
 * Every point must be found exactly once; otherwise an InstrumentationError names the
 * point, and nothing is compiled: a partially instrumented build never runs.
 *
 * A source that already traces (the hoidn golden fork: it has `-trace_pixel` and
 * `TRACE_C_PHI`) is detected and used as it is, built with -DTRACING.
 */
import { InputError } from '../contract.js';

export type CDialect = 'pristine' | 'golden' | 'nbparity-instrumented';

export class InstrumentationError extends InputError {
  override name = 'InstrumentationError';
  constructor(readonly point: string, readonly found: number, readonly pattern: string) {
    super(`cannot instrument nanoBragg.c: recognised point '${point}' found ${found} times (expected once; pattern ${pattern}). ` +
      'This nanoBragg.c differs from the versions nbparity knows; nothing was compiled.');
  }
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

interface Point { name: string; pattern: RegExp; where: 'before' | 'after'; code: string }

/** The recognised points, in source order. */
export const POINTS: Point[] = [
  { name: 'main() entry', pattern: /^int\s+main\s*\(\s*int\s+argc\s*,\s*char\s*\*\*\s*argv\s*\)\s*$/m, where: 'before', code: HELPERS },
  {
    name: 'option loop (-Na)', pattern: /^[ \t]*if\s*\(\s*strstr\s*\(\s*argv\[i\]\s*,\s*"-Na"\s*\)\s*&&\s*\(\s*argc\s*>\s*\(\s*i\s*\+\s*1\s*\)\s*\)\s*\)\s*$/m, where: 'before',
    code: '            if(0==strcmp(argv[i], "-trace_pixel") && (argc > (i+2))) { nbp_set(argv[i+1], argv[i+2]); continue; }\n',
  },
  { name: 'pixel loop (omp parallel for)', pattern: /^[ \t]*#pragma\s+omp\s+parallel\s+for\b/m, where: 'before', code: '    nbp_config(detector_thicksteps,oversample,sources,phisteps,mosaic_domains,fpixels,spixels);\n' },
  {
    // a traced pixel's math calls are logged from here (its curved-detector rotation comes before its geometry point)
    name: 'pixel start (I = I_bg)', pattern: /^[ \t]*I\s*=\s*I_bg\s*;[ \t]*$/m, where: 'after',
    code: '            if(nbp_traced(spixel,fpixel)) nbp_libm_px = 1;\n',
  },
  {
    name: 'scattering vector', pattern: /^[ \t]*scattering\[3\]\s*=\s*\(\s*diffracted\[3\]\s*-\s*incident\[3\]\s*\)\s*\/\s*lambda\s*;\s*$/m, where: 'after',
    code: '                            if(nbp_traced(spixel,fpixel) && source==0) nbp_geometry(spixel,fpixel,pix0_vector,fdet_vector,sdet_vector,pixel_pos,airpath,omega_pixel,close_distance,diffracted,incident,lambda,scattering);\n',
  },
  {
    name: 'resolution cut (-dmin)', pattern: /^[ \t]*if\s*\(\s*dmin\s*>\s*0\.0\s*&&\s*stol\s*>\s*0\.0\s*\)\s*$/m, where: 'before',
    code: '                            if(nbp_traced(spixel,fpixel) && dmin > 0.0 && stol > 0.0 && dmin > 0.5/stol) nbp_skip(spixel,fpixel,thick_tic,subS,subF,source,"dmin");\n',
  },
  {
    name: 'zero lattice factor skip', pattern: /^[ \t]*if\s*\(\s*F_latt\s*==\s*0\.0\s*&&\s*water_size\s*==\s*0\.0\s*\)\s*continue\s*;\s*$/m, where: 'before',
    code: `                                    if(nbp_traced(spixel,fpixel) && F_latt == 0.0 && water_size == 0.0) nbp_phi(spixel,fpixel,source==0&&mos_tic==0&&phi_tic==0, thick_tic,subS,subF,source,mos_tic,phi_tic,phi,a,b,c,a_star,b_star,c_star,V_cell,h,k,l,${LATTICE_ARGS},F_latt,NAN,0.0);\n`,
  },
  {
    name: 'intensity accumulation', pattern: /^[ \t]*I\s*\+=\s*F_cell\s*\*\s*F_cell\s*\*\s*F_latt\s*\*\s*F_latt\s*;\s*$/m, where: 'before',
    code: `                                    if(nbp_traced(spixel,fpixel)) nbp_phi(spixel,fpixel,source==0&&mos_tic==0&&phi_tic==0, thick_tic,subS,subF,source,mos_tic,phi_tic,phi,a,b,c,a_star,b_star,c_star,V_cell,h,k,l,${LATTICE_ARGS},F_latt,F_cell,F_cell*F_cell*F_latt*F_latt);\n`,
  },
  {
    name: 'pixel store', pattern: /^[ \t]*floatimage\[imgidx\]\s*\+=\s*test\s*;\s*$/m, where: 'after',
    code: '            if(nbp_traced(spixel,fpixel)) nbp_final(spixel,fpixel,I,r_e_sqr,fluence,steps,oversample_thick,oversample_polar,oversample_omega,capture_fraction,polar,omega_pixel,incident,diffracted,test,floatimage[imgidx]);\n',
  },
];

/** A `#line` directive's file name, quoted as C wants it. */
export function cString(s: string): string { return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"'; }

/**
 * Insert the trace points into a copy of a pristine nanoBragg.c; throws naming any point not
 * found exactly once. Each inserted block is wrapped in `#line` directives, so a compiler
 * message about the user's code names the user's file and line (`file`), and one about an
 * inserted block names the instrumentation point.
 */
export function instrument(source: string, opts: { file?: string } = {}): { text: string; points: string[] } {
  const dialect = detectDialect(source);
  if (dialect !== 'pristine') throw new Error(`instrument(): source is already ${dialect}`);
  const file = opts.file ?? 'nanoBragg.c';
  const hits: Array<{ p: Point; index: number; length: number }> = [];
  for (const p of POINTS) {
    const g = new RegExp(p.pattern.source, p.pattern.flags.includes('g') ? p.pattern.flags : p.pattern.flags + 'g');
    const found = [...source.matchAll(g)];
    if (found.length !== 1) throw new InstrumentationError(p.name, found.length, String(p.pattern));
    hits.push({ p, index: found[0].index!, length: found[0][0].length });
  }
  // insert from the end so earlier offsets stay valid; every insertion starts at a line start
  let text = source;
  for (const h of [...hits].sort((a, b) => b.index - a.index)) {
    const at = h.p.where === 'before' ? h.index : lineEnd(text, h.index + h.length);
    const nextLine = source.slice(0, at).split('\n').length; // 1-based line of the user's code that follows
    const block = `#line 1 ${cString(`nbparity instrumentation (${h.p.name})`)}\n${h.p.code}#line ${nextLine} ${cString(file)}\n`;
    text = text.slice(0, at) + block + text.slice(at);
  }
  return { text, points: POINTS.map((p) => p.name) };
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl + 1;
}
