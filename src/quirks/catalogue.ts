/**
 * The catalogue of nanoBragg.c's known behaviours that differ from correct physics or from
 * what its flags say. Each entry has an id, a one-paragraph explanation, the C lines involved
 * (upstream bl831/nanoBragg main, nanoBragg.c sha256 ff65983e…), who fixes it, and a probe: a
 * tiny command line on which the C as it is and the C with the entry fixed give different
 * outputs. The engine has one switch per entry (`--quirk ID=c|fixed`, `--quirks c|fixed`);
 * the harness runs the probes against a C build and the engine in both states to fingerprint
 * the build (harness/fingerprint).
 *
 * One general mechanism: an entry is data. The engine reads a profile (id → state) where the
 * behaviour lives (argv, detector, crystal, render); nothing else knows about single bugs.
 */

export type QuirkState = 'c' | 'fixed';
export type QuirkProfile = Record<string, QuirkState>;

/** One probe run: nanoBragg arguments (no output-file flags: the harness adds them) and files it needs. */
export interface ProbeRun {
  args: string[];
  /** files written into the probe's working directory first (name → content) */
  files?: Record<string, string>;
  /** OpenMP threads for the C (default 1) */
  ompThreads?: number;
}

export interface QuirkEntry {
  id: string;
  /** other names of the same behaviour (hoidn docs/bugs/verified_c_bugs.md) */
  aliases: string[];
  title: string;
  explanation: string;
  /** where in upstream nanoBragg.c (main, 8-10-25 header, 4309 lines) */
  cLines: Array<{ lines: string; code: string }>;
  /** what the fixed state does */
  fixed: string;
  /** known builds that fix it */
  fixedBy: string[];
  /** false: the engine cannot reproduce it (a data race); it has no switch */
  switchable: boolean;
  /** the engine's state when nothing is asked (C-PARITY-001 keeps its historical default, fixed) */
  engineDefault: QuirkState;
  /** variants run by `nbparity fingerprint`; each must separate the two states */
  probe: { what: string; runs: ProbeRun[] };
}

/** A small detector the probes share: 24×24 pixels of 0.1 mm, a 100 Å cubic cell. */
const BASE = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-lambda', '1', '-distance', '100', '-detpixels', '24', '-pixel', '0.1', '-nonoise', '-nopgm'];
const base = (...more: string[]) => [...BASE, ...more];

/** P1 structure factors for h,k,l in -n..n (a smooth, non-symmetric function), for the interpolation probes */
function hklTable(n: number): string {
  const lines: string[] = [];
  for (let h = -n; h <= n; h++) for (let k = -n; k <= n; k++) for (let l = -n; l <= n; l++) lines.push(`${h} ${k} ${l} ${(50 + 7 * h + 3 * k - 5 * l + h * k).toFixed(1)}`);
  return lines.join('\n') + '\n';
}
/**
 * A value computed when first asked for, then kept. The probes' HKL tables are read only by the
 * harness and a few tests; the engine imports this module on every run and never reads them, so
 * they are built on first read of a probe run's `files` (a getter in the run's literal, which keeps
 * the key order JSON.stringify and catalogueVersion() see), never at import.
 */
const once = <T>(make: () => T): (() => T) => { let v: T | undefined; return () => (v ??= make()); };
const probeFiles = once(() => ({ 'probe.hkl': hklTable(3) }));
/** the race: a larger table (-13..13) and the beam at the top edge, so the first thread interpolates its rows while the second leaves the table a few rows into its own */
const raceFiles = once(() => ({ 'race.hkl': hklTable(13) }));
const RACE = ['-cell', '300', '300', '300', '90', '90', '90', '-hkl', 'race.hkl', '-N', '2', '-interpolate', '-lambda', '1', '-distance', '100', '-detpixels', '48', '-pixel', '0.1', '-Xbeam', '0.05', '-Ybeam', '2.4', '-oversample', '1', '-nonoise', '-nopgm'];
const INTERP = ['-cell', '300', '300', '300', '90', '90', '90', '-hkl', 'probe.hkl', '-N', '2', '-interpolate', '-lambda', '1', '-distance', '100', '-detpixels', '24', '-pixel', '0.1', '-oversample', '1', '-nonoise', '-nopgm'];

export const CATALOGUE: readonly QuirkEntry[] = [
  {
    id: 'C-PARITY-001', aliases: [],
    title: 'φ=0 reuses the last rotation of its OpenMP thread',
    explanation: 'The φ loop rotates the cell (ap, bp, cp) only when phi != 0.0 and has no else branch. ap/bp/cp are firstprivate to each OpenMP thread and live across pixels, sub-pixels and sources, so every φ sweep that starts at φ=0 uses the rotation left by the previous sweep (R(φ_last)·a0); only the first sweep of each thread sees the true a0. With φ0=0 and more than one φ step, step 0 of almost every pixel is the last step again.',
    cLines: [{ lines: '2783-2788', code: 'if( phi != 0.0 ) { rotate_axis(a0,ap,spindle_vector,phi); … }   /* no else */' }, { lines: '2534', code: 'firstprivate(…, ap, bp, cp, …)' }],
    fixed: 'φ=0 uses the unrotated cell (a0, b0, c0) in every sweep',
    fixedBy: ['bl831/nanoBragg fix/phi0-stale-rotation'],
    switchable: true, engineDefault: 'fixed',
    probe: { what: '4 φ steps from φ=0', runs: [{ args: base('-phisteps', '4', '-osc', '2', '-oversample', '1') }] },
  },
  {
    id: 'C-OVERSAMPLE-SUM', aliases: [],
    title: '-oversample_thick/_polar/_omega multiply the running sum',
    explanation: 'With -oversample_thick, -oversample_polar or -oversample_omega the C multiplies the pixel\'s running intensity sum I by the current sub-pixel\'s capture fraction, polarisation or solid angle after each contribution (I += F²·F_latt²; I *= omega_pixel). Earlier contributions are therefore multiplied again at every later evaluation, instead of each contribution being weighted once by its own factor. Images with these flags are scaled by powers of ω (about 1e-6 per evaluation) and are physically meaningless.',
    cLines: [{ lines: '3013-3018', code: 'I += F_cell*F_cell*F_latt*F_latt; if(oversample_thick) I *= capture_fraction; if(oversample_polar) I *= polar; if(oversample_omega) I *= omega_pixel;' }],
    fixed: 'each contribution is multiplied by its own factors before it is added (I += F²·F_latt²·capture·polar·ω)',
    fixedBy: ['bl831/nanoBragg fix/subpixel-oversampling'],
    switchable: true, engineDefault: 'c',
    probe: { what: '2×2 sub-pixels with -oversample_omega -oversample_polar', runs: [{ args: base('-oversample', '2', '-oversample_omega', '-oversample_polar', '-polar', '0.9') }] },
  },
  {
    id: 'C-PIXEL-FACTORS', aliases: [],
    title: 'polarisation and solid angle from the first sub-pixel, capture fraction from the last layer',
    explanation: 'Without the -oversample_* flags the C computes the solid angle ω only while omega_pixel == 0 (the first sub-pixel), the polarisation only while polar == 0 (the first sub-pixel\'s first source that is not cut by -dmin), and the capture fraction once per detector layer; after the loops it multiplies the whole pixel sum by these single values, so every sub-pixel and source shares the first sub-pixel\'s ω and polarisation and every layer shares the last layer\'s capture fraction. On a pixel that spans a range of angles (large pixels, short distance, oversampling) the result is not the average over the pixel.',
    cLines: [{ lines: '2721, 2732, 2772', code: 'if(omega_pixel == 0.0 || oversample_omega) …; if(capture_fraction == 0.0 || oversample_thick) …; if (polar == 0.0 || oversample_polar) …' }, { lines: '3036-3038', code: 'if(! oversample_thick) test *= capture_fraction; if(! oversample_polar) test *= polar; if(! oversample_omega) test *= omega_pixel;' }],
    fixed: 'ω and capture fraction are computed for every sub-pixel and layer, polarisation for every sub-pixel and source, and each contribution is weighted by its own factors',
    fixedBy: [],
    switchable: true, engineDefault: 'c',
    probe: {
      what: '3×3 sub-pixels at 20 mm with a Kahn factor; a 3-layer detector',
      runs: [
        { args: base('-oversample', '3', '-polar', '0.9', '-distance', '20') },
        { args: base('-oversample', '1', '-distance', '30', '-detector_thick', '200', '-detector_thicksteps', '3', '-detector_abs', '100') },
      ],
    },
  },
  {
    id: 'C-INTERP-SWITCHOFF', aliases: [],
    title: 'one out-of-range point switches interpolation off for the rest of the image',
    explanation: 'With tricubic interpolation of structure factors (-interpolate, or auto with N ≤ 2) the first evaluation whose 4×4×4 neighbourhood leaves the HKL table sets the shared variable interpolate = 0: that evaluation and every later one in the whole image use the nearest structure factor (or default_F) instead, so which pixels are interpolated depends on which pixel the loop happens to reach first.',
    cLines: [{ lines: '2935-2949', code: 'if ( ((h-h_min+3)>h_range) || … ) { if(babble){ … } F_cell = default_F; interpolate=0; }' }],
    fixed: 'an out-of-range evaluation uses the nearest structure factor (as the C does for it), and interpolation stays on for every other evaluation',
    fixedBy: [],
    switchable: true, engineDefault: 'c',
    probe: { what: 'an HKL table of -3..3 and a detector corner beyond it', runs: [{ args: INTERP, get files() { return probeFiles(); } }] },
  },
  {
    id: 'C-INTERP-RACE', aliases: [],
    title: 'the interpolation switch-off is a data race between OpenMP threads',
    explanation: 'interpolate and babble are shared by all OpenMP threads (the parallel region lists them in shared()), and a thread sets interpolate = 0 without synchronisation while others read it. Which rows of the other threads are still interpolated when C-INTERP-SWITCHOFF fires depends on thread timing, so two runs of the same build with OMP_NUM_THREADS > 1 can give different images.',
    cLines: [{ lines: '2554-2559', code: 'shared(…, interpolate, …, babble, …)' }, { lines: '2949', code: 'interpolate=0;' }],
    fixed: 'not reproducible by any engine: the harness runs such a C twice and refuses to judge when the runs differ (exit 3); with OMP_NUM_THREADS=1 the race cannot happen',
    fixedBy: [],
    switchable: false, engineDefault: 'c',
    probe: { what: 'an interpolated 48×48 detector whose second OpenMP thread leaves the HKL table a few rows in while the first still interpolates, 2 threads, run five times (a difference shows the race; no difference proves nothing)', runs: [{ args: RACE, get files() { return raceFiles(); }, ompThreads: 2 }] },
  },
  {
    id: 'C-IMPL-BUG-002', aliases: [],
    title: '-misset random caps the rotation at 90 radians',
    explanation: '-misset random calls mosaic_rotation_umat(90.0, …), whose argument is an angle in radians, so the random orientation is a rotation of up to 90 rad (about 5157°) about a random axis: the distribution of orientations is not the intended one.',
    cLines: [{ lines: '1902', code: 'mosaic_rotation_umat(90.0, umat, &misset_seed);' }],
    fixed: 'the cap is 90 degrees (90/RTD radians)',
    fixedBy: [],
    switchable: true, engineDefault: 'c',
    probe: { what: 'a seeded random misset', runs: [{ args: base('-oversample', '1', '-misset_seed', '3', '-misset', 'random') }] },
  },
  {
    id: 'C-DESIGN-FLAW-003', aliases: ['NANO-C-BUG-001', 'NANO-C-BUG-002'],
    title: '-pix0_vector(_mm) is ignored, and _mm is never scaled',
    explanation: '-pix0_vector x y z (and -pix0_vector_mm, parsed by the same strstr branch with no unit conversion) stores the vector and switches the convention to CUSTOM, but the detector geometry then overwrites pix0 from the beam centre (Fbeam/Sbeam or Fclose/Sclose) and re-derives the beam centre from that: the values given have no effect, only the switch to CUSTOM does.',
    cLines: [{ lines: '721-728', code: 'if(strstr(argv[i], "-pix0_vector") && (argc > (i+3))) { beam_convention = CUSTOM; pix0_vector[1] = atof(argv[i+1]); … }' }, { lines: '1719, 1740', code: 'pix0_vector[1] = -Fclose*fdet_vector[1]-…;   pix0_vector[1] = -Fbeam*fdet_vector[1]-…;' }],
    fixed: 'pix0 is the vector given (metres; millimetres with -pix0_vector_mm), and the beam centre is derived from it',
    fixedBy: [],
    switchable: true, engineDefault: 'c',
    probe: { what: 'an off-centre -pix0_vector_mm', runs: [{ args: base('-oversample', '1', '-pix0_vector_mm', '100', '1.0', '-1.4') }] },
  },
  {
    id: 'C-ARGV-GUARDS', aliases: [],
    title: 'argument guards: -curved_det last is ignored, detector-thickness flags last read past argv',
    explanation: 'The -curved_det test requires a following token (argc > i+1) although the flag takes no value, so -curved_det as the last argument is silently ignored. -detector_abs, -detector_thick, -detector_thicksteps and -thicksteps test argc >= i+1, which is always true, so as the last argument they read argv[argc] (NULL) and the program crashes.',
    cLines: [{ lines: '806', code: 'if(strstr(argv[i], "-curved_det") && (argc > (i+1)))' }, { lines: '743, 752, 756, 760', code: 'if(strstr(argv[i], "-detector_abs") && (argc >= (i+1)))  … atof(argv[i+1])' }],
    fixed: '-curved_det is honoured wherever it is; a thickness flag without its value is not applied',
    fixedBy: ['bl831/nanoBragg fix/curved-det-flag-guard'],
    switchable: true, engineDefault: 'c',
    probe: {
      what: '-curved_det as the last argument at 20 mm; -detector_thicksteps as the last argument',
      runs: [{ args: base('-oversample', '1', '-distance', '20', '-curved_det') }, { args: base('-oversample', '1', '-detector_thicksteps') }],
    },
  },
  {
    id: 'C-MISSET-SEED', aliases: [],
    title: '-misset_seed is also read as -misset',
    explanation: 'The -misset branches match with strstr, so the token -misset_seed also fires them: with three tokens after it the C sets the crystal misset to (atof of those tokens) degrees, the seed value becoming the x angle, besides setting the seed.',
    cLines: [{ lines: '553, 561', code: 'if(strstr(argv[i], "-misset") && (argc > (i+3))) { misset[0] = 1; misset[1] = atof(argv[i+1])/RTD; … }' }],
    fixed: 'only the exact flag -misset sets the misset (as the hoidn golden fork does with strcmp)',
    fixedBy: ['hoidn/nanoBragg feature/spec-based-2 golden_suite_generator (and its other strcmp versions)'],
    switchable: true, engineDefault: 'c',
    probe: { what: '-misset_seed followed by three numbers', runs: [{ args: [...base('-oversample', '1'), '-misset_seed', '10', '20', '30'] }] },
  },
  {
    id: 'C-TWOTHETA-AXIS', aliases: [],
    title: '-twotheta_axis also sets the 2θ angle and the SAMPLE pivot',
    explanation: 'The -twotheta branch matches with strstr, so -twotheta_axis x y z also fires it: the axis\' x component is read as the 2θ angle in degrees and the pivot is set to SAMPLE.',
    cLines: [{ lines: '764-768', code: 'if(strstr(argv[i], "-twotheta") && (argc > (i+1))) { detector_twotheta = atof(argv[i+1])/RTD; detector_pivot = SAMPLE; }' }],
    fixed: '-twotheta_axis sets only the axis',
    fixedBy: [],
    switchable: true, engineDefault: 'c',
    probe: { what: '-twotheta_axis 2 1 0', runs: [{ args: base('-oversample', '1', '-twotheta_axis', '2', '1', '0') }] },
  },
];

/** Entries by id, and by alias. */
export function quirkById(id: string): QuirkEntry | undefined {
  return CATALOGUE.find((q) => q.id === id || q.aliases.includes(id));
}

export const QUIRK_IDS: readonly string[] = CATALOGUE.map((q) => q.id);

/** The engine's profile when nothing is asked. */
export function defaultProfile(): QuirkProfile {
  const p: QuirkProfile = {};
  for (const q of CATALOGUE) p[q.id] = q.engineDefault;
  return p;
}

/** Every switchable entry in one state (`--quirks c|fixed`). */
export function uniformProfile(state: QuirkState): QuirkProfile {
  const p = defaultProfile();
  for (const q of CATALOGUE) if (q.switchable) p[q.id] = state;
  return p;
}

/** Is the C's behaviour (not the fix) in effect for this entry? */
export function isC(profile: QuirkProfile, id: string): boolean {
  return (profile[id] ?? quirkById(id)?.engineDefault ?? 'c') === 'c';
}

/** "C-PARITY-001=c,C-OVERSAMPLE-SUM=fixed" ↔ profile (only entries that differ from the default, in catalogue order). */
export function profileArgs(profile: QuirkProfile, all = false): string[] {
  const d = defaultProfile();
  return CATALOGUE.filter((q) => q.switchable && (all || profile[q.id] !== d[q.id])).map((q) => `${q.id}=${profile[q.id]}`);
}

/** A stable digest of the catalogue's probes and states (fingerprint caches key on it). */
export function catalogueVersion(): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify(CATALOGUE.map((q) => [q.id, q.switchable, q.probe]));
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, '0');
}

/** --list-quirks: the catalogue of nanoBragg.c's known behaviours, as a table or (--json) whole. */
export function listQuirks(json: boolean): string {
  if (json) return JSON.stringify({ catalogue: CATALOGUE, default_profile: defaultProfile() }, null, 2) + '\n';
  const L: string[] = ['nanoBragg.c behaviours the engine can reproduce (c) or fix (fixed): --quirk ID=c|fixed, --quirks c|fixed', ''];
  for (const q of CATALOGUE) {
    L.push(`${q.id}${q.aliases.length ? ` (also ${q.aliases.join(', ')})` : ''}: ${q.title}`);
    L.push(`    switch: ${q.switchable ? `c | fixed (default ${q.engineDefault}${q.id === 'C-PARITY-001' ? '; alias --phi-carryover-mode c-parity | spec' : ''})` : 'none (not reproducible by an engine)'}`);
    L.push(`    fixed:  ${q.fixed}`);
    L.push(`    C:      ${q.cLines.map((c) => `l.${c.lines}`).join(', ')} of upstream nanoBragg.c${q.fixedBy.length ? `; fixed by ${q.fixedBy.join(', ')}` : ''}`);
    L.push(`    probe:  ${q.probe.what}`);
  }
  L.push('', 'Each entry\'s full explanation: nanobragg-ts --list-quirks --json, or README "The quirk catalogue".');
  return L.join('\n') + '\n';
}

