/**
 * Heatmaps stay small: the cells are one embedded raster (vega's own colours, one block of
 * pixels per cell), not a rect per cell. A rect per cell made each 96×96 heatmap SVG ~2 MB and
 * a nightly report of 100 tests ~640 MB.
 */
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { writeHeatmaps } from '../harness/report/heatmap.js';

function images(n: number) {
  const a = new Float32Array(n * n), b = new Float32Array(n * n);
  for (let s = 0; s < n; s++) for (let f = 0; f < n; f++) {
    const v = 1 + 100 * Math.exp(-((s % 10 - 5) ** 2 + (f % 10 - 5) ** 2) / 4);
    a[s * n + f] = v; b[s * n + f] = v * (s > n / 2 ? 1.001 : 1);
  }
  return { a, b };
}

describe('heatmaps: one raster per figure, axes and colour bar as vectors', () => {
  it('a 96×96 detector: each SVG under 150 kB with one embedded PNG, axis titles and the colour bar unit', async () => {
    const files = new Map<string, string | Uint8Array>();
    const { a, b } = images(96);
    const h = await writeHeatmaps((name, data) => files.set(name, data), { a, b, fpixels: 96, spixels: 96, traced: [[49, 48]] });
    expect(h.figures.map((f) => f.file)).toEqual(['heatmap_c', 'heatmap_ts', 'heatmap_diff', 'heatmap_zoom']);
    for (const f of h.figures) {
      const svg = String(files.get(f.svg));
      expect(svg.length, f.svg).toBeLessThan(150_000);
      expect((svg.match(/<image /g) ?? []).length, f.svg).toBe(1);
      expect(svg, f.svg).toContain('data:image/png;base64,');
      expect(svg, f.svg).toContain('fast pixel index');
      expect(svg, f.svg).toContain('slow pixel index');
      expect(svg, f.svg).toMatch(/photons\/pixel/);
      // far fewer vector paths than cells (9216)
      expect((svg.match(/<path /g) ?? []).length, f.svg).toBeLessThan(400);
    }
    expect(String(files.get('heatmap_c.svg'))).toContain('traced (49, 48)');
    expect(String(files.get('heatmap_diff.svg'))).toContain('largest |Δ|');
  });

  it('the raster holds one colour per cell: equal values equal colours, a peak and the background differ', async () => {
    const files = new Map<string, string | Uint8Array>();
    const { a, b } = images(40);
    await writeHeatmaps((name, data) => files.set(name, data), { a, b, fpixels: 40, spixels: 40, traced: [] });
    const svg = String(files.get('heatmap_c.svg'));
    const png = PNG.sync.read(Buffer.from(/data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(svg)![1], 'base64'));
    const k = png.width / 40;
    expect(Number.isInteger(k) && png.height === 40 * k).toBe(true);
    const at = (s: number, f: number) => { const o = ((s * k + (k >> 1)) * png.width + f * k + (k >> 1)) * 4; return [png.data[o], png.data[o + 1], png.data[o + 2]].join(','); };
    expect(at(5, 5)).toBe(at(15, 25)); // both peaks of the same height (rows < 20: a == b there too)
    expect(at(0, 0)).toBe(at(10, 30)); // both background
    expect(at(5, 5)).not.toBe(at(0, 0));
  });
});
