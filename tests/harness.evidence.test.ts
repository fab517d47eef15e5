/**
 * Evidence folders: never overwritten, distinct under concurrency, files written
 * atomically, sha256.txt verifiable by sha256sum -c; and a full replay leaves a valid one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvidenceDir, listFiles, utcStamp, verifySeal } from '../harness/evidence/dir.js';
import { runCompare } from '../harness/compare/run.js';
import { validate, SchemaError } from '../harness/schemas/validate.js';

const root = () => mkdtempSync(join(tmpdir(), 'nbparity-ev-'));

describe('evidence folders', () => {
  it('use a UTC stamp and never reuse a folder', () => {
    const r = root();
    const when = new Date(Date.UTC(2026, 10, 29, 1, 2, 3));
    expect(utcStamp(when)).toBe('20261129T010203Z');
    const a = EvidenceDir.create(r, 'x', when), b = EvidenceDir.create(r, 'x', when), c = EvidenceDir.create(r, 'x', when);
    expect([a.stamp, b.stamp, c.stamp]).toEqual(['20261129T010203Z', '20261129T010203Z-2', '20261129T010203Z-3']);
    a.write('f.txt', 'first');
    expect(readFileSync(a.file('f.txt'), 'utf8')).toBe('first');
    expect(() => EvidenceDir.create(r, '../escape')).toThrowError(/initiative/);
  });

  it('give concurrent processes distinct folders', () => {
    const r = root();
    const script = `import { EvidenceDir } from ${JSON.stringify(join(process.cwd(), 'dist', 'harness', 'evidence', 'dir.js'))};
      const d = EvidenceDir.create(${JSON.stringify(r)}, 'race', new Date(Date.UTC(2026, 0, 1))); console.log(d.stamp);`;
    const procs = Array.from({ length: 6 }, () => spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    const stamps = procs.map((p) => p.stdout.trim());
    expect(new Set(stamps).size).toBe(6);
    expect(readdirSync(join(r, 'race')).sort()).toEqual([...stamps].sort());
  });

  it('write atomically (no temp files left) and seal with a sha256sum-compatible manifest', () => {
    const d = EvidenceDir.create(root(), 'seal');
    d.write('a.txt', 'alpha\n');
    d.write('sub/b.bin', new Uint8Array([1, 2, 3]));
    d.writeJson('c.json', { x: 1 });
    d.seal();
    expect(listFiles(d.path).sort()).toEqual(['a.txt', 'c.json', 'sha256.txt', 'sub/b.bin']);
    expect(readdirSync(d.path).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(verifySeal(d.path)).toEqual([]);
    const sums = spawnSync('sha256sum', ['-c', 'sha256.txt'], { cwd: d.path, encoding: 'utf8' });
    if (sums.error === undefined) expect(sums.status, sums.stdout + sums.stderr).toBe(0);
    writeFileSync(d.file('a.txt'), 'tampered');
    expect(verifySeal(d.path)).toEqual(['a.txt']);
  });
});

describe('replay leaves complete, valid evidence', () => {
  it.each([['phi10', 'c-parity'], ['phi10', 'spec'], ['oversample2', 'c-parity']] as const)('%s in %s mode', async (id, mode) => {
    const reports = root();
    const r = await runCompare({ args: ['--phi-carryover-mode', mode], replayCase: id, reportsRoot: reports, initiative: 'replay-test' });
    expect(r.exitCode).toBe(0);
    const files = listFiles(r.dir).sort();
    for (const f of ['commands.txt', 'env.json', 'config_snapshot.json', 'c.trace.txt', 'ts.trace.txt', 'c.trace.json', 'ts.trace.json', 'delta_metrics.json',
      'comparison_summary.md', 'c.float.bin', 'ts.float.bin', 'c.png', 'ts.png', 'diff.png', 'sha256.txt']) expect(files, f).toContain(f);
    const m = JSON.parse(readFileSync(join(r.dir, 'delta_metrics.json'), 'utf8'));
    validate('deltaMetrics', m);
    expect(m.run.mode).toBe('replay');
    expect(m.vg1.pass).toBe(true);
    expect(m.vg1.k_frac.max_abs).toBeLessThanOrEqual(1e-12);
    expect(m.image.full.identical_fraction).toBe(1);
    expect(m.first_divergence.found).toBe(false);
    expect(readFileSync(join(r.dir, 'c.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(r.dir, 'config_snapshot.json'), 'utf8')).toContain('"pix0"');
    expect(verifySeal(r.dir)).toEqual([]);
    const md = readFileSync(join(r.dir, 'comparison_summary.md'), 'utf8');
    expect(md).toContain(mode === 'c-parity' && id === 'phi10' ? 'has C-PARITY-001' : mode === 'spec' && id === 'phi10' ? 'rotates φ=0 freshly' : 'cannot show');
  });

  it('schema rejects a delta_metrics.json with a wrong version or a missing verdict', () => {
    expect(() => validate('deltaMetrics', { schema_version: 'nbparity.delta_metrics/0' })).toThrowError(SchemaError);
  });

  it('nbparity replay --json works from the CLI and exits 0', () => {
    const reports = root();
    const out = execFileSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'replay', '--case', 'roi', '--reports', reports, '--json', '--', '--phi-carryover-mode', 'c-parity'], { encoding: 'utf8' });
    const j = JSON.parse(out);
    expect(j[0].delta_metrics.verdict.pass).toBe(true);
    expect(existsSync(join(j[0].evidence, 'sha256.txt'))).toBe(true);
  });
});

describe('atomic writes', () => {
  it('a write that cannot complete leaves the old content and no temp file', async () => {
    const { writeFileAtomic } = await import('../src/index.js');
    const d = root();
    const target = join(d, 'file.bin');
    writeFileSync(target, 'old');
    writeFileAtomic(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    // a directory where the file should go: the rename fails, the directory and its content survive
    const blocked = join(d, 'blocked');
    execFileSync('mkdir', ['-p', join(blocked, 'inner')]);
    expect(() => writeFileAtomic(blocked, 'data')).toThrowError();
    expect(readdirSync(blocked)).toEqual(['inner']);
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
