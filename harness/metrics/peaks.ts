/**
 * Peak matching between two images: the strongest local maxima of each (3×3, above a
 * percentile), assigned one-to-one by the Hungarian method on their distances.
 */
import { quantile } from './quantile.js';

export interface Peak { slow: number; fast: number; value: number }

export function findPeaks(img: Float32Array, fpixels: number, spixels: number, opts: { count?: number; percentile?: number } = {}): Peak[] {
  const count = opts.count ?? 20, pct = opts.percentile ?? 0.99;
  const threshold = quantile(img, pct);
  const peaks: Peak[] = [];
  for (let s = 0; s < spixels; s++) for (let f = 0; f < fpixels; f++) {
    const v = img[s * fpixels + f];
    if (!(v > threshold) && !(v >= threshold && threshold > 0)) continue;
    let isMax = true;
    for (let ds = -1; ds <= 1 && isMax; ds++) for (let df = -1; df <= 1; df++) {
      if (!ds && !df) continue;
      const ss = s + ds, ff = f + df;
      if (ss < 0 || ff < 0 || ss >= spixels || ff >= fpixels) continue;
      const w = img[ss * fpixels + ff];
      // ties: the first pixel in row-major order is the maximum
      if (w > v || (w === v && (ss < s || (ss === s && ff < f)))) { isMax = false; break; }
    }
    if (isMax) peaks.push({ slow: s, fast: f, value: v });
  }
  return peaks.sort((a, b) => b.value - a.value).slice(0, count);
}

/** Hungarian (Kuhn–Munkres) assignment minimising total cost; rows ≤ cols. Returns row → col. */
export function hungarian(cost: number[][]): number[] {
  const n = cost.length, m = cost[0]?.length ?? 0;
  if (n === 0) return [];
  if (n > m) throw new Error('hungarian: more rows than columns');
  const INF = Number.POSITIVE_INFINITY;
  const u = new Array(n + 1).fill(0), v = new Array(m + 1).fill(0), p = new Array(m + 1).fill(0), way = new Array(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array(m + 1).fill(INF), used = new Array(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = INF, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do { const j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0);
  }
  const ans = new Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]) ans[p[j] - 1] = j - 1;
  return ans;
}

export interface PeakMatch { count_c: number; count_ts: number; matched: number; mean_distance: number; max_distance: number; pairs: Array<{ c: Peak; ts: Peak; distance: number }> }

export function matchPeaks(c: Peak[], ts: Peak[]): PeakMatch {
  const rows = c.length <= ts.length ? c : ts, cols = c.length <= ts.length ? ts : c;
  const dist = (a: Peak, b: Peak) => Math.hypot(a.slow - b.slow, a.fast - b.fast);
  const cost = rows.map((a) => cols.map((b) => dist(a, b)));
  const assign = rows.length ? hungarian(cost) : [];
  const pairs = assign.map((j, i) => {
    const [pc, pt] = c.length <= ts.length ? [rows[i], cols[j]] : [cols[j], rows[i]];
    return { c: pc, ts: pt, distance: dist(pc, pt) };
  });
  const ds = pairs.map((p) => p.distance);
  return {
    count_c: c.length, count_ts: ts.length, matched: pairs.length,
    mean_distance: ds.length ? ds.reduce((s, x) => s + x, 0) / ds.length : 0, max_distance: ds.length ? Math.max(...ds) : 0, pairs,
  };
}
