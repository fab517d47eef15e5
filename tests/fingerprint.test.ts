/**
 * The fingerprint, replayed without a C: traces/fingerprints holds what real builds did on every
 * probe (the sha256 of their float images, or how they failed), recorded with provenance from
 * bl831/nanoBragg main, its fix/* branches, an older main and the hoidn golden fork. The engine
 * runs its side of the probes here; the verdicts must be the recorded ones, which names exactly
 * the entry each fix branch fixes. Planted faults in a record must never turn into a verdict.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecord, replayRecord } from '../harness/fingerprint/record.js';
import { decideAll, fingerprintLine, type EngineOutcomes, type Outcome } from '../harness/fingerprint/run.js';
import { CATALOGUE } from '../src/quirks/catalogue.js';

const DIR = resolve('traces/fingerprints');
const SWITCHABLE = CATALOGUE.filter((q) => q.switchable).map((q) => q.id);
const others = (fixed: string[]) => SWITCHABLE.filter((id) => !fixed.includes(id));

/** what each recorded build must be, from its branch's own diff (bl831) or its parser (hoidn) */
const EXPECTED: Record<string, string[]> = {
  'upstream-main': [],
  'bl831-2022-improve-readme': [],
  'fix-phi0-stale-rotation': ['C-PARITY-001'],
  'fix-subpixel-oversampling': ['C-OVERSAMPLE-SUM'],
  'fix-curved-det-flag-guard': ['C-ARGV-GUARDS'],
  'hoidn-golden-spec-based-2': ['C-MISSET-SEED'],
};

function plant(label: string, edit: (rec: any) => void): string {
  const rec = JSON.parse(readFileSync(join(DIR, `${label}.json`), 'utf8'));
  edit(rec);
  const f = join(mkdtempSync(join(tmpdir(), 'nbparity-fp-')), `${label}.json`);
  writeFileSync(f, JSON.stringify(rec));
  return f;
}

describe('recorded builds, decided again by this engine', () => {
  it('every record in traces/fingerprints is listed here', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s: fixes exactly %j, has every other switchable entry', async (label, fixes) => {
    const r = await replayRecord(join(DIR, `${label}.json`));
    expect(r.differences).toEqual([]);
    expect(r.fp.fixes).toEqual(fixes);
    // the race entry (no switch) is as recorded: five runs of the real build with 2 threads differed, or did not
    const race = r.record.expected.has.includes('C-INTERP-RACE') ? ['C-INTERP-RACE'] : [];
    expect(r.fp.has).toEqual(CATALOGUE.map((q) => q.id).filter((id) => (SWITCHABLE.includes(id) && !fixes.includes(id)) || race.includes(id)));
    expect(r.fp.unknown).toEqual(race.length ? [] : ['C-INTERP-RACE']);
    expect(r.record.provenance.c_sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const id of fixes) expect(r.fp.profile[id]).toBe('fixed');
    for (const id of others(fixes)) expect(r.fp.profile[id]).toBe('c');
    expect(fingerprintLine(r.fp)).toBe(`this C build has: ${r.fp.has.join(', ')}; fixes: ${fixes.length ? fixes.join(', ') : 'none'}${race.length ? '' : '; could not tell: C-INTERP-RACE'}`);
  }, 120_000);
});

describe('planted faults in a record', () => {
  it('a C image that is neither state (one bit flipped in its hash): could not tell, "matches neither"', async () => {
    const f = plant('fix-subpixel-oversampling', (rec) => { const o = rec.c_outcomes['C-OVERSAMPLE-SUM'][0][0]; o.image_sha256 = (o.image_sha256[0] === 'a' ? 'b' : 'a') + o.image_sha256.slice(1); });
    const r = await replayRecord(f);
    expect(r.fp.unknown).toContain('C-OVERSAMPLE-SUM');
    expect(r.fp.entries.find((e) => e.id === 'C-OVERSAMPLE-SUM')!.detail).toMatch(/matches neither state on 1 of 1 probes/);
    expect(r.same).toBe(false);
    expect(r.differences.join('\n')).toMatch(/fixes: now \[\], recorded \[C-OVERSAMPLE-SUM\]/);
  }, 120_000);

  it('a C that crashed where the engine runs (either state): could not tell', async () => {
    const f = plant('upstream-main', (rec) => { rec.c_outcomes['C-PARITY-001'][0][0] = { ok: false, exit: null, signal: 'SIGSEGV', image_sha256: null, note: 'killed by SIGSEGV' }; });
    const r = await replayRecord(f);
    expect(r.fp.unknown).toContain('C-PARITY-001');
    expect(r.fp.profile['C-PARITY-001']).toBe('fixed'); // the engine's default, not a decision
  }, 120_000);

  it('two probes that disagree (one has, one fixes): could not tell, and why', async () => {
    const fixedGuard = JSON.parse(readFileSync(join(DIR, 'fix-curved-det-flag-guard.json'), 'utf8'));
    const f = plant('upstream-main', (rec) => { rec.c_outcomes['C-ARGV-GUARDS'][1] = fixedGuard.c_outcomes['C-ARGV-GUARDS'][1]; });
    const r = await replayRecord(f);
    expect(r.fp.entries.find((e) => e.id === 'C-ARGV-GUARDS')).toMatchObject({ verdict: 'unknown', detail: expect.stringMatching(/the probes disagree: 1 match the C's behaviour, 1 the fix/) });
  }, 120_000);

  it.each([
    ['another catalogue version', (rec: any) => { rec.catalogue_version = '00000000'; }, /recorded with catalogue version 00000000, this catalogue is [0-9a-f]{8} \(its probes changed\)/],
    ['an entry left out', (rec: any) => { delete rec.c_outcomes['C-PIXEL-FACTORS']; }, /probe outcomes for C-PIXEL-FACTORS are missing or do not match the catalogue's 2 probe run/],
    ['a probe run left out', (rec: any) => { rec.c_outcomes['C-PIXEL-FACTORS'].pop(); }, /C-PIXEL-FACTORS are missing or do not match/],
    ['a hash that is not sha256', (rec: any) => { rec.c_outcomes['C-PARITY-001'][0][0].image_sha256 = 'xyz'; }, /must match pattern/],
    ['no provenance', (rec: any) => { delete rec.provenance; }, /must have required property 'provenance'/],
  ])('%s: refused (exit 2), never decided', async (_what, edit, msg) => {
    const f = plant('upstream-main', edit);
    await expect(replayRecord(f)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(msg) });
  }, 120_000);

  it('a cut record file: refused naming the file', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'nbparity-fp-')), 'cut.json');
    writeFileSync(f, readFileSync(join(DIR, 'upstream-main.json'), 'utf8').slice(0, 500));
    expect(() => loadRecord(f)).toThrow(new RegExp(`${f.replace(/[.]/g, '\\.')}: not a readable fingerprint record`));
  });
});

describe('the decision rule', () => {
  const img = (h: string): Outcome => ({ ok: true, exit: 0, signal: null, image_sha256: h.repeat(64).slice(0, 64), note: '' });
  const refused: Outcome = { ok: false, exit: 2, signal: null, image_sha256: null, note: 'exit 2: -detector_thicksteps: is the last argument' };
  const crashed: Outcome = { ok: false, exit: null, signal: 'SIGSEGV', image_sha256: null, note: 'killed by SIGSEGV' };
  const only = ['C-ARGV-GUARDS'];
  const engine: EngineOutcomes = { 'C-ARGV-GUARDS': [{ c: img('a'), fixed: img('b') }, { c: refused, fixed: img('c') }] };

  it('a C crash where the engine (as the C) refuses the command line is the same outcome', () => {
    const [e] = decideAll({ 'C-ARGV-GUARDS': [[img('a')], [crashed]] }, engine, only);
    expect(e).toMatchObject({ verdict: 'has' });
    const [f] = decideAll({ 'C-ARGV-GUARDS': [[img('b')], [img('c')]] }, engine, only);
    expect(f).toMatchObject({ verdict: 'fixes' });
  });

  it('a probe whose two engine states agree does not count; none left: could not tell', () => {
    const same: EngineOutcomes = { 'C-ARGV-GUARDS': [{ c: img('a'), fixed: img('a') }, { c: img('c'), fixed: img('c') }] };
    const [e] = decideAll({ 'C-ARGV-GUARDS': [[img('a')], [img('c')]] }, same, only);
    expect(e).toMatchObject({ verdict: 'unknown', detail: expect.stringMatching(/does not separate/) });
  });

  it('an entry without a switch: different images across runs show it; identical ones prove nothing', () => {
    const race = ['C-INTERP-RACE'];
    expect(decideAll({ 'C-INTERP-RACE': [[img('a'), img('a'), img('b')]] }, {}, race)[0]).toMatchObject({ verdict: 'has', detail: expect.stringMatching(/3 runs with 2 OpenMP threads gave 2 different images/) });
    expect(decideAll({ 'C-INTERP-RACE': [[img('a'), img('a'), img('a')]] }, {}, race)[0]).toMatchObject({ verdict: 'unknown' });
  });
});
