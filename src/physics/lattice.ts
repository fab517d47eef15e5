/**
 * The rotated lattice per φ step and mosaic domain, computed once per run (the C
 * recomputes it for every pixel, sub-pixel and source; the values do not change).
 *
 * The table holds, for every (phi_tic, mos_tic), the real-space a, b, c (metres) the C's
 * mosaic loop sees when its φ state is "fresh": R(φ)·a0 when φ ≠ 0, a0 when φ == 0.
 *
 * C-PARITY-001: the C rotates ap/bp/cp only when φ ≠ 0.0 and has no else branch, so at
 * φ == 0 a sweep reuses the last rotation its OpenMP thread computed. Which step that is
 * depends only on the φ grid and on whether this is the thread's first sweep, so the
 * carry-over is two index maps into the same table:
 *  - `source[0][k]`: the entry used at step k in a thread's first sweep;
 *  - `source[1][k]`: the entry used at step k in every later sweep.
 * In `spec` mode both maps are the identity (every step rotates from a0).
 */
import type { Precision } from '../math/precision.js';
import { rotateAxis, rotateUmat, vec } from '../math/vec3.js';
import type { Crystal, Goniometer } from '../config/resolve.js';

export interface LatticeTable {
  phisteps: number; mosaicDomains: number;
  /** phi per step (radians), computed as the C does: phi0 + phistep*phi_tic */
  phi: Float64Array;
  /** 9 numbers (a, b, c) per (phi_tic, mos_tic), at ((phi_tic*domains)+mos_tic)*9 */
  abc: Float64Array;
  /** [first sweep of a C thread, later sweeps] → table phi index used at each step */
  source: [Int32Array, Int32Array];
}

export function buildLatticeTable(P: Precision, crystal: Crystal, gonio: Goniometer): LatticeTable {
  const r = P.r;
  const n = gonio.phisteps, M = crystal.mosaicDomains;
  const phi = new Float64Array(n);
  const abc = new Float64Array(n * M * 9);
  const ap = vec(), bp = vec(), cp = vec(), t = vec();
  for (let k = 0; k < n; k++) {
    phi[k] = r(gonio.phi0 + r(gonio.phistep * k));
    if (P.recorder) P.recorder.where = `φ step ${k} (rotate_axis of a, b, c about the spindle)`;
    if (phi[k] !== 0.0) {
      rotateAxis(P, crystal.a0, ap, gonio.spindle, phi[k]);
      rotateAxis(P, crystal.b0, bp, gonio.spindle, phi[k]);
      rotateAxis(P, crystal.c0, cp, gonio.spindle, phi[k]);
    } else {
      ap.set(crystal.a0); bp.set(crystal.b0); cp.set(crystal.c0);
    }
    for (let m = 0; m < M; m++) {
      const o = (k * M + m) * 9;
      [ap, bp, cp].forEach((v, j) => {
        if (crystal.mosaicSpread > 0.0) rotateUmat(P, v, t, crystal.mosaicUmats, m * 9);
        else t.set(v);
        abc[o + 3 * j] = t[1]; abc[o + 3 * j + 1] = t[2]; abc[o + 3 * j + 2] = t[3];
      });
    }
  }
  const first = new Int32Array(n), later = new Int32Array(n);
  let lastNonzero = -1;
  for (let k = 0; k < n; k++) if (phi[k] !== 0.0) lastNonzero = k;
  for (let k = 0; k < n; k++) {
    first[k] = later[k] = k;
    if (gonio.mode !== 'c-parity' || phi[k] !== 0.0) continue;
    let j = k - 1;
    while (j >= 0 && phi[j] === 0.0) j--;
    if (j >= 0) { first[k] = later[k] = j; continue; }
    // no rotation yet in this sweep: a thread's first sweep still has a0, later ones the previous sweep's last rotation
    if (lastNonzero >= 0) later[k] = lastNonzero;
  }
  return { phisteps: n, mosaicDomains: M, phi, abc, source: [first, later] };
}

/**
 * Row ranges of the C's OpenMP threads (libgomp's static split of `spixels` rows over T
 * threads: the first S%T threads get one extra row). Each starts with a fresh φ state.
 */
export function cThreadChunks(spixels: number, threads: number): Array<[number, number]> {
  const q = Math.floor(spixels / threads), rem = spixels % threads;
  const chunks: Array<[number, number]> = [];
  let start = 0;
  for (let t = 0; t < threads; t++) {
    const len = q + (t < rem ? 1 : 0);
    if (len > 0) chunks.push([start, start + len]);
    start += len;
  }
  return chunks;
}
