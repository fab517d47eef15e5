/**
 * -mask and -img: SMV frames read as nanoBragg.c reads them (geometry from the header before
 * every other flag, the last occurrence of a keyword, no byte swap, zero-flagged pixels
 * skipped), against recorded C output (traces/reference/_smv, with provenance).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEngine } from './support/engine.js';
import { smvValue } from '../src/io/smv.js';

const DIR = resolve('traces/reference/_smv');
const prov = JSON.parse(readFileSync(join(DIR, 'provenance.json'), 'utf8'));

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'nbts-smv-'));
  for (const f of ['mask.img', 'mask_big_endian_shifted.img']) copyFileSync(join(DIR, f), join(d, f));
  return d;
}

describe('-mask and -img against the C', () => {
  it('the recorded files are what provenance.json says', () => {
    for (const [f, sum] of Object.entries(prov.sha256 as Record<string, string>)) expect(createHash('sha256').update(readFileSync(join(DIR, f))).digest('hex'), f).toBe(sum);
  });
  it.each(['mask', 'mask_be_shifted', 'img'])('%s: float and SMV images byte-identical', (name) => {
    const rec = prov[name];
    const d = scratch();
    const r = runEngine([...rec.command.slice(1), '--phi-carryover-mode', 'c-parity'], d);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(d, 'float.bin')).equals(readFileSync(join(DIR, rec.float_image)))).toBe(true);
    expect(readFileSync(join(d, 'int.img')).equals(readFileSync(join(DIR, rec.int_image)))).toBe(true);
    if (name.startsWith('mask')) {
      expect(r.stdout).toContain(`skipping zero-flagged pixels in ${name === 'mask' ? 'mask.img' : 'mask_big_endian_shifted.img'}`);
      const img = new Float32Array(readFileSync(join(d, 'float.bin')).buffer.slice(0));
      expect(img.filter((x) => x === 0).length).toBe(1666);
    }
  });
  it('a mask whose size is not the detector\'s is exit 2; a mask that cannot be read is ignored with a warning (an error with --strict)', () => {
    const d = scratch();
    const bad = runEngine(['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '-N', '2', '-mask', 'mask.img', '-detpixels', '32', '-nonoise', '-nopgm'], d);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('nanobragg-ts: error: -mask: mask.img is 64x64 pixels, but the detector is 32x32');
    const missing = runEngine(['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '-N', '2', '-mask', 'nothere.img', '-detpixels', '8', '-nonoise', '-nopgm'], d);
    expect(missing.status).toBe(0);
    expect(missing.stdout).toContain('WARNING: -mask nothere.img: cannot be read; ignored, as nanoBragg.c does');
    const strict = runEngine(['--strict', '-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '-N', '2', '-mask', 'nothere.img', '-nonoise'], d);
    expect(strict.status).toBe(2);
    writeFileSync(join(d, 'notsmv.img'), Buffer.alloc(600, 65));
    const notSmv = runEngine(['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '1', '-N', '2', '-img', 'notsmv.img', '-nonoise'], d);
    expect(notSmv.status).toBe(2);
    expect(notSmv.stderr).toMatch(/-img: notsmv\.img does not look like an ADSC \(SMV\) frame/);
  });
  it('ValueOf: the last occurrence of a keyword, NaN when absent, 0 without "="', () => {
    const h = '{\nHEADER_BYTES=512;\nDISTANCE=100;\nCLOSE_DISTANCE=90;\nPHI=5;\nSIZE1=64;\nODD\n}';
    expect(smvValue(h, 'DISTANCE')).toBe(90); // the C finds CLOSE_DISTANCE's
    expect(smvValue(h, 'PHI')).toBe(5);
    expect(smvValue(h, 'WAVELENGTH')).toBeNaN();
    expect(smvValue(h, 'ODD')).toBe(0);
  });
});
