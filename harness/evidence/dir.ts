/**
 * Evidence directories: reports/<initiative>/<YYYYMMDDTHHMMSSZ>/, never overwritten
 * (a run that finds its name taken gets -2, -3, ...), every file written atomically, and a
 * sha256.txt that `sha256sum -c sha256.txt` verifies from inside the folder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../src/index.js';

export function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class EvidenceDir {
  private constructor(readonly path: string, readonly stamp: string) {}

  /** Create a new, empty evidence folder; never reuses an existing one. */
  static create(root: string, initiative: string, when = new Date()): EvidenceDir {
    if (!/^[A-Za-z0-9._-]+$/.test(initiative)) throw new Error(`initiative '${initiative}' must be letters, digits, '.', '_' or '-'`);
    const stamp = utcStamp(when);
    const parent = join(root, initiative);
    mkdirSync(parent, { recursive: true });
    for (let n = 1; n < 1000; n++) {
      const name = n === 1 ? stamp : `${stamp}-${n}`;
      const path = join(parent, name);
      try {
        mkdirSync(path); // fails if it exists: the folder is ours alone
        return new EvidenceDir(path, name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new Error(`too many evidence folders for ${stamp} under ${parent}`);
  }

  /** Create a new folder at exactly `path` (its parent may exist); fails if `path` exists. */
  static createAt(path: string): EvidenceDir {
    mkdirSync(join(path, '..'), { recursive: true });
    mkdirSync(path);
    return new EvidenceDir(path, path.split('/').pop()!);
  }

  file(name: string): string { return join(this.path, name); }

  write(name: string, data: string | Uint8Array): string {
    const p = this.file(name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileAtomic(p, data);
    return p;
  }

  writeJson(name: string, data: unknown): string {
    return this.write(name, JSON.stringify(data, null, 2) + '\n');
  }

  /** Write sha256.txt over every other file in the folder (sha256sum format, relative names). */
  seal(): string {
    const files = listFiles(this.path).filter((f) => f !== 'sha256.txt').sort();
    const lines = files.map((f) => `${createHash('sha256').update(readFileSync(join(this.path, f))).digest('hex')}  ${f}`);
    return this.write('sha256.txt', lines.join('\n') + '\n');
  }
}

export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else if (!e.endsWith('.tmp')) out.push(relative(base, p));
  }
  return out;
}

/** Check a sealed folder the way `sha256sum -c` would; returns the names that do not match. */
export function verifySeal(dir: string): string[] {
  const bad: string[] = [];
  for (const line of readFileSync(join(dir, 'sha256.txt'), 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) continue;
    let actual = '';
    try { actual = createHash('sha256').update(readFileSync(join(dir, m[2]))).digest('hex'); } catch { /* missing */ }
    if (actual !== m[1]) bad.push(m[2]);
  }
  return bad;
}
