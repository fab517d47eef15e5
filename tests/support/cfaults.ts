/**
 * Deliberately broken variants of the user's nanoBragg.c, made at test time.
 *
 * The project never holds the C (nor a patch of it): each fault here is a few small text
 * edits applied to the user's own pristine file at recognisable anchors. Every anchor must
 * be found exactly once, otherwise `apply` throws a FaultAnchorError naming the fault and
 * the anchor: a variant is never silently the unmodified program.
 *
 * Two levels of fault:
 *  - physics and output faults edit the pristine C; the result has no instrumentation
 *    marker, so the harness instruments it itself (and the edits must leave the
 *    instrumentation points recognisable, except in `no-instrument-point`);
 *  - trace faults instrument the pristine C with the project's instrument() and then edit one
 *    of the inserted helper functions (nbp_phi, nbp_flush); the result carries the marker
 *    'nbparity trace instrumentation', so the harness uses it as it is.
 *
 * Each fault states the exit code the harness contract requires for it:
 *   0 pass, 1 a gate failed (a NaN/Inf in a gated quantity included), 2 usage or input error
 *   (compile error, instrumentation failure), 3 a side failed (crash, timeout, non-zero exit,
 *   missing or short output, malformed or incomplete trace).
 */
import { instrument, InstrumentationError } from '../../harness/c/instrument.js';

export interface CFault {
  id: string;            // kebab-case, e.g. 'nan-k-trace'
  what: string;          // one line for a table: what is planted
  expectExit: 0 | 1 | 2 | 3;   // the harness contract, above
  expectKind: 'pass' | 'gate' | 'input' | 'side';  // 0,1,2,3 respectively
  /** the variant's C text, from the user's pristine nanoBragg.c; `pixel` = traced pixel [slow, fast] */
  apply(pristine: string, pixel: [number, number]): string;
}

/** An anchor of a fault is not found exactly once in the C text it edits. */
export class FaultAnchorError extends Error {
  override name = 'FaultAnchorError';
  constructor(readonly fault: string, readonly anchor: string, readonly found: number, readonly pattern: string, options?: ErrorOptions) {
    super(`cannot plant fault '${fault}': anchor '${anchor}' found ${found} times (expected once; pattern ${pattern})`, options);
  }
}

// ---------------------------------------------------------------------------------------------
// text edits at anchors

/** The one match of `pattern` in `text`; throws FaultAnchorError unless there is exactly one. */
function findOnce(text: string, fault: string, anchor: string, pattern: RegExp): RegExpExecArray {
  const flags = pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g';
  const found = [...text.matchAll(new RegExp(pattern.source, flags))];
  if (found.length !== 1) throw new FaultAnchorError(fault, anchor, found.length, String(pattern));
  return found[0];
}

/** Replace the one match of `pattern` by `by(match)`. */
function replaceOnce(text: string, fault: string, anchor: string, pattern: RegExp, by: (m: RegExpExecArray) => string): string {
  const m = findOnce(text, fault, anchor, pattern);
  return text.slice(0, m.index) + by(m) + text.slice(m.index + m[0].length);
}

/** Insert `code` just before the one match (line patterns: the match starts a line). */
function insertBefore(text: string, fault: string, anchor: string, pattern: RegExp, code: string): string {
  return replaceOnce(text, fault, anchor, pattern, (m) => code + m[0]);
}

/** Insert `code` just after the one match (line patterns: the match ends with its newline). */
function insertAfter(text: string, fault: string, anchor: string, pattern: RegExp, code: string): string {
  return replaceOnce(text, fault, anchor, pattern, (m) => m[0] + code);
}

/**
 * The pristine C with the project's trace instrumentation (what the harness would build); an
 * instrumentation point that is not found once is reported as this fault's anchor.
 */
function instrumented(pristine: string, fault: string): string {
  try {
    return instrument(pristine, { file: 'nanoBragg.c' }).text;
  } catch (e) {
    if (e instanceof InstrumentationError) {
      throw new FaultAnchorError(fault, `instrument() point: ${e.point}`, e.found, e.pattern, { cause: e });
    }
    throw e;
  }
}

/** The C condition "this is the traced pixel", checked before it is written into C. */
function atPixel(fault: string, [slow, fast]: [number, number]): string {
  if (!Number.isInteger(slow) || !Number.isInteger(fast) || slow < 0 || fast < 0) {
    throw new RangeError(`fault '${fault}': traced pixel must be two non-negative integers [slow, fast], got [${slow}, ${fast}]`);
  }
  return `spixel==${slow} && fpixel==${fast}`;
}

// ---------------------------------------------------------------------------------------------
// anchors in the pristine C (bl831/nanoBragg main and the fix/phi0-stale-rotation branch)

const P = {
  /** start of a pixel's evaluation in the pixel loop: `I = I_bg;` */
  pixelStart: /^[ \t]*I\s*=\s*I_bg\s*;[^\n]*\n/m,
  /** the intensity accumulation (also an instrumentation point) */
  accumulate: /^([ \t]*)I\s*\+=\s*F_cell\s*\*\s*F_cell\s*\*\s*F_latt\s*\*\s*F_latt\s*;[ \t]*$/m,
  /** the -point_pixel line, last line of the pixel solid-angle computation */
  omegaPointPixel: /^[ \t]*if\s*\(\s*point_pixel\s*\)\s*omega_pixel\s*=\s*1\.0\s*\/\s*airpath\s*\/\s*airpath\s*;[^\n]*\n/m,
  /** opening the float image file, just before the float image is written */
  floatOpen: /^([ \t]*)outfile\s*=\s*fopen\s*\(\s*floatfilename\s*,\s*"wb"\s*\)\s*;/m,
  /** the float image write */
  floatWrite: /fwrite\s*\(\s*floatimage\s*,\s*sizeof\s*\(\s*float\s*\)\s*,\s*pixels\s*,\s*outfile\s*\)\s*;/,
  /** main's early return when there is no noise image to write (-nonoise) */
  returnNoNoise: /(if\s*\(\s*calculate_noise\s*==\s*0\s*\)\s*\{\s*return\s+)0(\s*;)/,
  /** main's last return, after the noise image is written and closed */
  returnLast: /(\n[ \t]*fclose\s*\(\s*outfile\s*\)\s*;\s*\n[ \t]*return\s+)0(\s*;\s*\n\}[ \t]*\n)/,
};

// anchors in the instrumented C (the helper functions instrument() inserts)
const T = {
  /** opening line of nbp_phi (parameters phi_tic, k, b, ... as instrument.ts names them) */
  phiStart: /^static void nbp_phi\([^)]*\)\s*\{[ \t]*\n/m,
  /** the TRACE_C_PHI printf, last statement of nbp_phi, and the function's closing brace */
  phiEnd: /(nbp_printf\("TRACE_C_PHI [^"]*phi_tic=%d [^;]*;[ \t]*\n)(\}[ \t]*\n)/,
  /** the hkl_frac line of the first evaluation */
  hklFrac: /nbp_v\("hkl_frac",\s*h,\s*k,\s*l\)\s*;/,
  /** opening line of nbp_flush, which prints a traced pixel's buffered lines */
  flushStart: /^static void nbp_flush\(void\)\s*\{[ \t]*\n/m,
};

/**
 * C run at the end of nbp_phi, right after it printed the TRACE_C_PHI line of the first
 * evaluation's φ step 1 (layer 0, sub-pixel 0,0, source 0, mosaic domain 0): `body` edits
 * that line, which is the buffer's last, from `nbp_ls` (its start) to `nbp_len`.
 */
function atPhi1Line(id: string, body: string): string {
  return `    /* nbparity fault ${id} */
    if (phi_tic == 1 && thick_tic == 0 && subS == 0 && subF == 0 && source == 0 && mos_tic == 0) {
        size_t nbp_ls = nbp_len - 1;   /* start of the TRACE_C_PHI line just printed */
        char *nbp_line;
        while (nbp_ls > 0 && nbp_buf[nbp_ls - 1] != '\\n') --nbp_ls;
        /* a copy: nbp_printf may move the buffer when it grows */
        nbp_line = (char *) malloc(nbp_len - nbp_ls + 1);
        memcpy(nbp_line, nbp_buf + nbp_ls, nbp_len - nbp_ls); nbp_line[nbp_len - nbp_ls] = '\\0';
${body}
        free(nbp_line);
    }
`;
}

/** Plant `code` at the end of nbp_phi, after its TRACE_C_PHI printf. */
function atPhiEnd(pristine: string, id: string, code: string): string {
  return replaceOnce(instrumented(pristine, id), id, 'end of nbp_phi (TRACE_C_PHI printf, closing brace)', T.phiEnd, (m) => m[1] + code + m[2]);
}

/** Plant `code` at the start of nbp_phi's body. */
function atPhiStart(pristine: string, id: string, code: string): string {
  return insertAfter(instrumented(pristine, id), id, 'static void nbp_phi( ... ) {', T.phiStart, code);
}

// ---------------------------------------------------------------------------------------------
// the faults

const EXIT = { pass: 0, gate: 1, input: 2, side: 3 } as const;

/** A fault whose `apply` refuses to return the text unchanged (except the control). */
function fault(id: string, expectKind: CFault['expectKind'], what: string, edit: CFault['apply']): CFault {
  return {
    id, what, expectKind, expectExit: EXIT[expectKind],
    apply(pristine, pixel) {
      const out = edit(pristine, pixel);
      if (id !== 'control' && out === pristine) throw new FaultAnchorError(id, '(any)', 0, 'the edit left the C unchanged');
      return out;
    },
  };
}

export const C_FAULTS: CFault[] = [
  fault('control', 'pass', 'nothing: the pristine C', (pristine) => pristine),

  // ---- the C side fails (exit 3) ----
  fault('crash', 'side', 'abort() when the pixel loop reaches the traced pixel', (pristine, pixel) =>
    insertAfter(pristine, 'crash', 'I = I_bg; (pixel start)', P.pixelStart,
      `            if(${atPixel('crash', pixel)}) abort(); /* nbparity fault crash */\n`)),

  fault('hang', 'side', 'endless loop when the pixel loop reaches the traced pixel', (pristine, pixel) =>
    insertAfter(pristine, 'hang', 'I = I_bg; (pixel start)', P.pixelStart,
      `            if(${atPixel('hang', pixel)}) { volatile int nbp_spin = 1; while(nbp_spin) ; } /* nbparity fault hang */\n`)),

  fault('exit-nonzero', 'side', 'main returns 7 instead of 0, after writing all its outputs', (pristine) => {
    let c = replaceOnce(pristine, 'exit-nonzero', 'if(calculate_noise == 0){ return 0;', P.returnNoNoise, (m) => `${m[1]}7${m[2]}`);
    c = replaceOnce(c, 'exit-nonzero', "main's last return 0;", P.returnLast, (m) => `${m[1]}7${m[2]}`);
    return c;
  }),

  fault('early-exit-0', 'side', 'exit(0) just before the float image is opened (no float image)', (pristine) =>
    replaceOnce(pristine, 'early-exit-0', 'outfile = fopen(floatfilename,"wb");', P.floatOpen,
      (m) => `${m[1]}exit(0); /* nbparity fault early-exit-0 */\n${m[0]}`)),

  fault('short-image', 'side', 'the float image holds only its first half', (pristine) =>
    replaceOnce(pristine, 'short-image', 'fwrite(floatimage,sizeof(float),pixels,outfile);', P.floatWrite,
      () => 'fwrite(floatimage,sizeof(float),pixels/2,outfile); /* nbparity fault short-image */')),

  fault('odd-bytes-image', 'side', 'the float image lacks its last byte (odd size)', (pristine) =>
    replaceOnce(pristine, 'odd-bytes-image', 'fwrite(floatimage,sizeof(float),pixels,outfile);', P.floatWrite,
      () => 'fwrite(floatimage,1,sizeof(float)*pixels-1,outfile); /* nbparity fault odd-bytes-image */')),

  // ---- the C trace is malformed or incomplete (exit 3); the image is untouched ----
  fault('trace-cut', 'side', "the traced pixel's last trace line ends mid-number without a newline; the program goes on and exits 0", (pristine) =>
    // stdout after the cut goes to /dev/null, so the trace really ends there while the
    // program still writes its images and exits 0: the cut is the only thing wrong
    insertAfter(instrumented(pristine, 'trace-cut'), 'trace-cut', 'static void nbp_flush(void) {', T.flushStart, `    /* nbparity fault trace-cut */
    if (nbp_len > 1 && nbp_buf[nbp_len - 1] == '\\n') {
        size_t nbp_num = nbp_len - 1;   /* start of the last line's last number */
        while (nbp_num > 0 && nbp_buf[nbp_num - 1] != ' ' && nbp_buf[nbp_num - 1] != '\\n') --nbp_num;
        nbp_len = nbp_num + (nbp_len - nbp_num) / 2;   /* about half its characters, no newline */
        #pragma omp critical (nbparity_trace)
        { fwrite(nbp_buf, 1, nbp_len, stdout); fflush(stdout); if (freopen("/dev/null", "w", stdout) == NULL) abort(); }
        nbp_len = 0;
        return;
    }
`)),

  fault('trace-garbled', 'side', "the TRACE_C hkl_frac line reads 'h abc l' (a value that is not a number)", (pristine) =>
    replaceOnce(instrumented(pristine, 'trace-garbled'), 'trace-garbled', 'nbp_v("hkl_frac", h, k, l);', T.hklFrac,
      () => 'nbp_printf("TRACE_C: hkl_frac %.17g abc %.17g\\n", h, l); /* nbparity fault trace-garbled */')),

  fault('trace-duplicate-phi', 'side', 'the TRACE_C_PHI line of phi_tic=1 (first evaluation) is printed twice', (pristine) =>
    atPhiEnd(pristine, 'trace-duplicate-phi', atPhi1Line('trace-duplicate-phi',
      '        nbp_printf("%s", nbp_line);')),
  ),

  fault('trace-missing-phi', 'side', 'the TRACE_C_PHI line of phi_tic=1 (first evaluation) is not printed', (pristine) =>
    atPhiEnd(pristine, 'trace-missing-phi', atPhi1Line('trace-missing-phi',
      "        nbp_len = nbp_ls; nbp_buf[nbp_len] = '\\0';")),
  ),

  fault('trace-extra-phi', 'side', 'an extra TRACE_C_PHI line: the phi_tic=1 line again as phi_tic=99 (a key outside the loops)', (pristine) =>
    atPhiEnd(pristine, 'trace-extra-phi', atPhi1Line('trace-extra-phi', `        {
            char *nbp_at = strstr(nbp_line, " phi_tic=1 ");
            if (nbp_at == NULL) abort();   /* the line's format changed: refuse to run unbroken */
            nbp_printf("%.*s phi_tic=99 %s", (int)(nbp_at - nbp_line), nbp_line, nbp_at + strlen(" phi_tic=1 "));
        }`)),
  ),

  // ---- a gated number is wrong (exit 1) ----
  fault('nan-k-trace', 'gate', 'k_frac is NaN in the trace at phi_tic=1 (trace only; the image is untouched)', (pristine) =>
    atPhiStart(pristine, 'nan-k-trace', '    if (phi_tic == 1) k = NAN; /* nbparity fault nan-k-trace: k is a copy, trace only */\n')),

  fault('inf-rot-b-trace', 'gate', "rot_b's y component is +Inf in the trace at phi_tic=2 (a local copy; the image is untouched)", (pristine) =>
    atPhiStart(pristine, 'inf-rot-b-trace', `    /* nbparity fault inf-rot-b-trace: point b at a local copy, never write the caller's array */
    double nbp_fault_b[4];
    if (phi_tic == 2) { nbp_fault_b[0] = b[0]; nbp_fault_b[1] = b[1]; nbp_fault_b[2] = INFINITY; nbp_fault_b[3] = b[3]; b = nbp_fault_b; }
`)),

  fault('nan-fcell-image', 'gate', 'F_cell = NaN at the traced pixel, so its image pixel is NaN', (pristine, pixel) =>
    insertBefore(pristine, 'nan-fcell-image', 'I += F_cell*F_cell*F_latt*F_latt;', P.accumulate,
      `                                    if(${atPixel('nan-fcell-image', pixel)}) F_cell = NAN; /* nbparity fault nan-fcell-image */\n`)),

  fault('omega-1e-5', 'gate', 'every pixel solid angle scaled by (1 + 1e-5), -point_pixel included', (pristine) =>
    insertAfter(pristine, 'omega-1e-5', 'if(point_pixel) omega_pixel = 1.0/airpath/airpath;', P.omegaPointPixel,
      '                            omega_pixel *= (1.0 + 1e-5); /* nbparity fault omega-1e-5 */\n')),

  // ---- the input is unusable (exit 2) ----
  fault('compile-error', 'input', 'an undeclared identifier in main, just before the float image is written', (pristine) =>
    replaceOnce(pristine, 'compile-error', 'outfile = fopen(floatfilename,"wb");', P.floatOpen,
      (m) => `${m[1]}nbparity_planted_undeclared_identifier = 1; /* nbparity fault compile-error */\n${m[0]}`)),

  fault('no-instrument-point', 'input', "'I += F_cell*F_cell*F_latt*F_latt;' split through a local holding F_cell*F_cell (same bits; no statement computes the contribution whole, so no instrumentation point)", (pristine) =>
    replaceOnce(pristine, 'no-instrument-point', 'I += F_cell*F_cell*F_latt*F_latt;', P.accumulate,
      (m) => `${m[1]}{ double nbp_fault = F_cell*F_cell; I += nbp_fault*F_latt*F_latt; }`)),
];

/** id, what and expected exit of every fault, for a report's table. */
export function faultTable(): Array<{ id: string; what: string; expectExit: number }> {
  return C_FAULTS.map(({ id, what, expectExit }) => ({ id, what, expectExit }));
}
