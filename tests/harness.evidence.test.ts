/**
 * Evidence folders: never overwritten, distinct under concurrency, files written
 * atomically, sha256.txt verifiable by sha256sum -c; and a full replay leaves a valid one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EvidenceWriteError } from '../harness/contract.js';
import { checkFolder, EvidenceDir, findFolders, listFiles, utcStamp, verifySeal } from '../harness/evidence/dir.js';
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
    expect(JSON.parse(readFileSync(d.file('state.json'), 'utf8')).state).toBe('incomplete');
    expect(checkFolder(d.path)).toMatchObject({ status: 'incomplete', state: 'incomplete' });
    d.seal({ exit_code: 0, verdict: 'pass' });
    expect(listFiles(d.path).sort()).toEqual(['a.txt', 'c.json', 'sha256.txt', 'state.json', 'sub/b.bin']);
    expect(JSON.parse(readFileSync(d.file('state.json'), 'utf8'))).toMatchObject({ state: 'complete', result: { exit_code: 0, verdict: 'pass' } });
    expect(checkFolder(d.path)).toMatchObject({ status: 'complete', state: 'complete' });
    expect(() => d.seal({ exit_code: 0, verdict: 'pass' })).toThrowError(/already sealed/);
    expect(readdirSync(d.path).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(verifySeal(d.path)).toEqual([]);
    const sums = spawnSync('sha256sum', ['-c', 'sha256.txt'], { cwd: d.path, encoding: 'utf8' });
    if (sums.error === undefined) expect(sums.status, sums.stdout + sums.stderr).toBe(0);
    writeFileSync(d.file('a.txt'), 'tampered');
    expect(verifySeal(d.path)).toEqual(['a.txt']);
    expect(checkFolder(d.path)).toMatchObject({ status: 'tampered', detail: 'changed or missing: a.txt' });
  });

  it('verify tells sealed, failed, interrupted, never-sealed, added-to and emptied folders apart', () => {
    const r = root();
    const ok = EvidenceDir.create(r, 'v'); ok.write('x.txt', 'x'); ok.seal({ exit_code: 1, verdict: 'gate failed' });
    const failed = EvidenceDir.create(r, 'v'); failed.write('c.stderr.txt', 'boom');
    failed.sealFailed({ step: 'C run', side: 'C', exit_code: 3, kind: 'SideFailedError', message: 'the C program was killed by SIGSEGV', kept: ['c.stderr.txt'] });
    const stopped = EvidenceDir.create(r, 'v'); stopped.sealInterrupted('SIGINT');
    const open = EvidenceDir.create(r, 'v'); open.write('c.trace.txt', 'TRACE');
    const added = EvidenceDir.create(r, 'v'); added.seal({ exit_code: 0, verdict: 'pass' }); writeFileSync(added.file('late.txt'), 'slipped in');
    const emptied = EvidenceDir.create(r, 'v'); emptied.write('y.txt', 'y'); emptied.seal({ exit_code: 0, verdict: 'pass' });
    execFileSync('rm', [emptied.file('y.txt')]);
    const got = Object.fromEntries(findFolders(join(r, 'v')).map((d) => { const c = checkFolder(d); return [d, `${c.status}/${c.state}`]; }));
    expect(got).toEqual({
      [ok.path]: 'complete/complete', [failed.path]: 'incomplete/failed', [stopped.path]: 'incomplete/interrupted',
      [open.path]: 'incomplete/incomplete', [added.path]: 'tampered/complete', [emptied.path]: 'tampered/complete',
    });
    expect(checkFolder(failed.path).detail).toMatch(/sealed as failed at C run \(C, exit 3\): the C program was killed by SIGSEGV/);
    expect(checkFolder(added.path).detail).toBe('not in the seal: late.txt');
    // the CLI: one line per folder, exit 1 when any is not sealed and intact, 2 for a path that is not there
    const cli = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'verify', join(r, 'v')], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toMatch(/6 evidence folders: 1 complete, 3 incomplete \(failed, interrupted or never sealed\), 2 tampered/);
    const one = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'verify', ok.path], { encoding: 'utf8' });
    expect(one.status).toBe(0);
    expect(spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'verify', join(r, 'nope')], { encoding: 'utf8' }).status).toBe(2);
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

  it('an evidence write that fails names the file and the cause, exit 2, and leaves no file under the final name', () => {
    const d = EvidenceDir.create(root(), 'w');
    execFileSync('mkdir', ['-p', join(d.path, 'in_the_way.bin', 'inner')]);
    let err: any = null;
    try { d.write('in_the_way.bin', new Uint8Array(10)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(EvidenceWriteError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^cannot write \S+in_the_way\.bin: (EISDIR|ENOTEMPTY|EEXIST)/);
  });
});

describe('short writes', () => {
  it('are retried until every byte is written, and a write that stops making progress is ENOSPC, not a truncated file', async () => {
    vi.resetModules();
    const calls: number[] = [];
    let mode: 'short' | 'stall' = 'short';
    vi.doMock('node:fs', async (orig) => {
      const fs = await orig<typeof import('node:fs')>();
      return {
        ...fs,
        // at most 3 bytes per call (a disk that takes little at a time), or nothing at all after 3 bytes (a full disk)
        writeSync: (fd: number, buf: Uint8Array, off = 0, len = buf.byteLength - off) => {
          calls.push(len);
          if (mode === 'stall' && calls.length > 1) return 0;
          return fs.writeSync(fd, buf, off, Math.min(3, len));
        },
      };
    });
    const { writeFileAtomic } = await import('../src/io/outputs.js');
    const d = root();
    writeFileAtomic(join(d, 'whole.txt'), 'abcdefghij');
    expect(readFileSync(join(d, 'whole.txt'), 'utf8')).toBe('abcdefghij');
    expect(calls).toEqual([10, 7, 4, 1]);
    mode = 'stall'; calls.length = 0;
    writeFileSync(join(d, 'kept.txt'), 'old content');
    expect(() => writeFileAtomic(join(d, 'kept.txt'), 'new content that does not fit')).toThrowError(/cannot write: ENOSPC \(no progress writing .*kept\.txt' \(3 of 29 bytes\), writing a temporary file in /);
    expect(readFileSync(join(d, 'kept.txt'), 'utf8')).toBe('old content');
    expect(readdirSync(d).sort()).toEqual(['kept.txt', 'whole.txt']);
    vi.doUnmock('node:fs');
  });
});

/** A 2 MiB tmpfs of our own (root only); null when this machine does not let the test mount one. */
function smallDisk(): string | null {
  const d = mkdtempSync(join(tmpdir(), 'nbparity-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', d], { encoding: 'utf8' });
  return r.status === 0 ? d : null;
}
const disk = smallDisk();
if (!disk) console.log('cannot mount a tmpfs here (needs root): the full-disk evidence test is skipped');

describe.skipIf(!disk)('a full disk under --reports', () => {
  it('exit 2 naming ENOSPC and the file, nothing truncated under a final name, verify lists the folder as incomplete', () => {
    // leave ~40 KB free: less than one run's evidence
    const free = Number(spawnSync('df', ['--output=avail', '-B1', disk!], { encoding: 'utf8' }).stdout.trim().split('\n')[1]);
    spawnSync('dd', ['if=/dev/zero', `of=${join(disk!, 'filler')}`, 'bs=4096', `count=${Math.floor((free - 40_000) / 4096)}`], { encoding: 'utf8' });
    const r = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'replay', '--case', 'phi10', '--reports', disk!, '--', '--phi-carryover-mode', 'c-parity'], { encoding: 'utf8' });
    try {
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^nbparity replay: cannot write \S+: ENOSPC \(no space left on device/m);
      const folder = join(disk!, 'adhoc', readdirSync(join(disk!, 'adhoc'))[0]);
      // every file under its final name is whole: the images have their full size, every JSON parses
      for (const f of listFiles(folder)) {
        const p = join(folder, f);
        if (f.endsWith('.float.bin')) expect(readFileSync(p).length, f).toBe(128 * 128 * 4);
        if (f.endsWith('.json')) expect(() => JSON.parse(readFileSync(p, 'utf8')), f).not.toThrow();
      }
      expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const v = spawnSync(process.execPath, [join('dist', 'harness', 'cli.js'), 'verify', folder], { encoding: 'utf8' });
      expect(v.status).toBe(1);
      expect(v.stdout).toMatch(/^incomplete /);
    } finally {
      spawnSync('umount', [disk!]);
    }
  });
});
