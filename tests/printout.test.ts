/**
 * -printout and -printout_pixel: the engine prints the C's per-pixel console text, line for
 * line, against recorded nanoBragg.c output (traces/reference/_printout, with provenance).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEngine } from './support/engine.js';

const DIR = resolve('traces/reference/_printout');
const prov = JSON.parse(readFileSync(join(DIR, 'provenance.json'), 'utf8'));

/** the printout blocks (14 lines from each "F S : stol = " line) of a console text */
function blocks(text: string): string[] {
  const lines = text.split('\n'), out: string[] = [];
  for (let i = 0; i < lines.length; i++) if (/^\s*-?\d+\s+-?\d+ : stol = /.test(lines[i])) { out.push(...lines.slice(i, i + 14)); i += 13; }
  return out;
}

describe('the C console printout, text-identical', () => {
  it.each(['all_pixels', 'one_pixel'])('%s', (name) => {
    const rec = prov[name];
    for (const f of [rec.stdout, rec.float_image]) expect(createHash('sha256').update(readFileSync(join(DIR, f))).digest('hex'), f).toBe(prov.sha256[f]);
    const dir = mkdtempSync(join(tmpdir(), 'nbts-printout-'));
    const r = runEngine([...rec.command.slice(1), '--phi-carryover-mode', 'c-parity'], dir);
    expect(r.status, r.stderr).toBe(0);
    const want = blocks(readFileSync(join(DIR, rec.stdout), 'utf8'));
    expect(want.length).toBe(name === 'all_pixels' ? 144 * 14 : 14);
    expect(blocks(r.stdout)).toEqual(want);
    expect(readFileSync(join(dir, 'float.bin')).equals(readFileSync(join(DIR, rec.float_image)))).toBe(true);
  });
  it('goes to stderr with --json, and forces one render thread (saying so)', () => {
    const rec = prov.one_pixel;
    const r = runEngine([...rec.command.slice(1), '--phi-carryover-mode', 'c-parity', '--threads', '2', '--json'], mkdtempSync(join(tmpdir(), 'nbts-printout-')));
    expect(r.status, r.stderr).toBe(0);
    expect(blocks(r.stderr)).toEqual(blocks(readFileSync(join(DIR, rec.stdout), 'utf8')));
    expect(JSON.parse(r.stdout).warnings).toContain('rendering on one thread: -printout prints pixels in the order one C thread visits them');
  });
});
