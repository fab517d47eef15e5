/**
 * What npm run bench runs: the matrix of issue #12 (cases a–e) and the scaling sweeps of
 * --scaling. Every case is the base line plus a few flags; the C and the engine get the
 * same arguments (plus the output files and -noprogress).
 */

/** misset cubic cell, N 5, one wavelength, no noise image, no PGM */
export const BASE_ARGS = ['-cell', '100', '100', '100', '90', '90', '90', '-misset', '10', '20', '30', '-N', '5', '-default_F', '100', '-lambda', '6.2', '-distance', '100', '-pixel', '0.1', '-nonoise', '-nopgm'] as const;

export interface BenchCase {
  id: string;
  /** short label for tables and plots */
  label: string;
  /** the flags after BASE_ARGS */
  args: string[];
  /** the nominal loop sizes (the run records the counts the C prints, when it prints them) */
  detpixels: number; oversample: number; sources: number; phisteps: number; mosaic: number;
}

/** evaluations of the lattice sum: pixels × sub-pixels × sources × φ steps × mosaic domains */
export function evaluations(c: Pick<BenchCase, 'detpixels' | 'oversample' | 'sources' | 'phisteps' | 'mosaic'>): number {
  return c.detpixels * c.detpixels * c.oversample * c.oversample * c.sources * c.phisteps * c.mosaic;
}

const one = { oversample: 1, sources: 1, phisteps: 1, mosaic: 1 };

/**
 * The matrix. (e) uses -square_div: nanoBragg.c trims a divergence grid's corners by
 * default (round_div), which leaves 5 of 3×3 sources; -square_div keeps all 9.
 */
export const MATRIX: readonly BenchCase[] = [
  { id: 'a', label: '1024², one φ step', args: ['-detpixels', '1024'], detpixels: 1024, ...one },
  { id: 'b', label: '1024², 10 φ steps', args: ['-detpixels', '1024', '-phisteps', '10', '-osc', '1'], detpixels: 1024, ...one, phisteps: 10 },
  { id: 'c', label: '512², 10 mosaic domains', args: ['-detpixels', '512', '-mosaic', '0.5', '-mosaic_domains', '10'], detpixels: 512, ...one, mosaic: 10 },
  { id: 'd', label: '512², -oversample 3', args: ['-detpixels', '512', '-oversample', '3'], detpixels: 512, ...one, oversample: 3 },
  { id: 'e', label: '512², 3×3 divergence sources', args: ['-detpixels', '512', '-hdivrange', '0.1', '-vdivrange', '0.1', '-hdivsteps', '3', '-vdivsteps', '3', '-square_div'], detpixels: 512, ...one, sources: 9 },
];

export interface ScalingPoint extends BenchCase { sweep: ScalingSweep; value: number }
export type ScalingSweep = 'detector' | 'phi' | 'mosaic';
export const SWEEP_TITLES: Record<ScalingSweep, string> = {
  detector: 'detector size (one φ step)',
  phi: 'φ steps (512²)',
  mosaic: 'mosaic domains (512²)',
};

/**
 * The scaling sweeps: detector 256² to 2048² at one φ step; φ steps 1, 10, 100 and mosaic
 * domains 1, 10, 100 on 512² (26 M evaluations at the top, ~3 s of the C on one thread).
 * One mosaic domain is the crystal without mosaicity (nanoBragg.c raises one domain with a
 * mosaic spread to 10).
 */
export function scalingPoints(): ScalingPoint[] {
  const pts: ScalingPoint[] = [];
  for (const d of [256, 512, 1024, 2048]) pts.push({ sweep: 'detector', value: d, id: `det${d}`, label: `${d}²`, args: ['-detpixels', String(d)], detpixels: d, ...one });
  for (const p of [1, 10, 100]) pts.push({ sweep: 'phi', value: p, id: `phi${p}`, label: `${p} φ step${p > 1 ? 's' : ''}`, args: ['-detpixels', '512', '-phisteps', String(p), '-osc', '1'], detpixels: 512, ...one, phisteps: p });
  for (const m of [1, 10, 100]) pts.push({ sweep: 'mosaic', value: m, id: `mos${m}`, label: `${m} mosaic domain${m > 1 ? 's' : ''}`, args: ['-detpixels', '512', ...(m > 1 ? ['-mosaic', '0.5', '-mosaic_domains', String(m)] : [])], detpixels: 512, ...one, mosaic: m });
  return pts;
}

/** Loop sizes from the C's printout (null where it prints none): sources, mosaic domains, φ steps, detector, oversampling. */
export function countsFromCOutput(text: string): { sources: number | null; mosaic: number | null; phisteps: number | null; fpixels: number | null; spixels: number | null; oversample: number | null } {
  const num = (re: RegExp) => { const m = re.exec(text); return m ? Number(m[1]) : null; };
  const phis = text.match(/^phi\d+ = /gm);
  const det = /\((\d+)x(\d+) pixels\)/.exec(text);
  return {
    sources: num(/created a total of (\d+) sources/),
    mosaic: num(/created a total of (\d+) mosaic domains/),
    phisteps: num(/(\d+) phi steps from/) ?? (phis ? phis.length : null),
    fpixels: det ? Number(det[1]) : null, spixels: det ? Number(det[2]) : null,
    oversample: num(/auto-selected (\d+)-fold oversampling/),
  };
}
