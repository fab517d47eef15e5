/**
 * The engine's outputs as one set: devices, FIFOs and symlinks are written through and stay
 * what they are; a failure names the flag, the user's path and the cause (exit 2) and leaves
 * every existing output as it was (issue #9: "never a damaged file").
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENGINE = resolve('dist/engine/main.js'); // the nanobragg-ts bin
const ARGS = ['-cell', '100', '100', '100', '90', '90', '90', '-default_F', '100', '-N', '5', '-detpixels', '32', '-nonoise', '-nopgm'];
const run = (cwd: string, extra: string[]) => spawnSync(process.execPath, [ENGINE, ...ARGS, ...extra], { cwd, encoding: 'utf8' });
const noTemps = (d: string) => expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('outputs through special paths', () => {
  it('a symlink stays a link and its target gets the image', () => {
    const d = mkdtempSync(join(tmpdir(), 'nbts-out-'));
    writeFileSync(join(d, 'real.bin'), 'old');
    symlinkSync('real.bin', join(d, 'link.bin'));
    symlinkSync('later.bin', join(d, 'dangling.bin'));
    const r = run(d, ['-floatfile', 'link.bin', '-intfile', 'dangling.bin']);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(join(d, 'link.bin')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, 'link.bin'))).toBe('real.bin');
    expect(statSync(join(d, 'real.bin')).size).toBe(32 * 32 * 4);
    expect(lstatSync(join(d, 'dangling.bin')).isSymbolicLink()).toBe(true);
    expect(statSync(join(d, 'later.bin')).size).toBe(512 + 32 * 32 * 2);
    noTemps(d);
  });

  it('/dev/null stays a device', () => {
    const d = mkdtempSync(join(tmpdir(), 'nbts-out-'));
    const r = run(d, ['-floatfile', '/dev/null', '-intfile', 'i.img']);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a FIFO stays a FIFO and its reader gets the whole image', async () => {
    const d = mkdtempSync(join(tmpdir(), 'nbts-out-'));
    expect(spawnSync('mkfifo', [join(d, 'pipe')]).status).toBe(0);
    const reader = spawn('cat', [join(d, 'pipe')]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c) => chunks.push(c));
    const done = new Promise((r) => reader.on('exit', r));
    const engine = spawn(process.execPath, [ENGINE, ...ARGS, '-floatfile', 'pipe', '-intfile', 'i.img'], { cwd: d });
    expect(await new Promise((r) => engine.on('exit', r))).toBe(0);
    await done;
    expect(Buffer.concat(chunks).length).toBe(32 * 32 * 4);
    expect(lstatSync(join(d, 'pipe')).isFIFO()).toBe(true);
  });
});

describe('an output that cannot be written: exit 2, one line, nothing replaced', () => {
  it.each([
    ['/dev/full', (d: string) => { void d; return ['-floatfile', '/dev/full']; }, /^nanobragg-ts: error: -floatfile \/dev\/full: cannot write: ENOSPC \(no space left on device/],
    ['a missing directory', (d: string) => ['-floatfile', join(d, 'nope', 'f.bin')], /^nanobragg-ts: error: -floatfile \S+\/nope\/f\.bin: cannot write: ENOENT \(no such directory \S+\/nope\)/],
    ['a directory', (d: string) => { mkdirSync(join(d, 'adir', 'inner'), { recursive: true }); return ['-floatfile', 'adir']; }, /^nanobragg-ts: error: -floatfile adir: cannot write: EISDIR \(it is a directory\)/],
    ['a link to a directory', (d: string) => { mkdirSync(join(d, 'bdir')); symlinkSync('bdir', join(d, 'tolink')); return ['-floatfile', 'tolink']; }, /-floatfile tolink: cannot write: EISDIR \(it leads to the directory \S+\/bdir\)/],
    ['a later output (-intfile) in a missing directory', (d: string) => ['-floatfile', 'float.bin', '-intfile', join(d, 'gone', 'i.img')], /-intfile \S+\/gone\/i\.img: cannot write: ENOENT/],
  ] as Array<[string, (d: string) => string[], RegExp]>)('%s', (_n, extra, says) => {
    const d = mkdtempSync(join(tmpdir(), 'nbts-out-'));
    writeFileSync(join(d, 'float.bin'), 'old float'); writeFileSync(join(d, 'int.img'), 'old int');
    const r = run(d, ['-floatfile', 'float.bin', '-intfile', 'int.img', ...extra(d)]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(says);
    // the set is all or nothing: the outputs that could be written were not replaced either
    expect(readFileSync(join(d, 'float.bin'), 'utf8')).toBe('old float');
    expect(readFileSync(join(d, 'int.img'), 'utf8')).toBe('old int');
    noTemps(d);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });
});
