/**
 * Evidence directories: reports/<initiative>/<YYYYMMDDTHHMMSSZ>/, never overwritten (a run that
 * finds its name taken gets -2, -3, ...), every file written whole or not at all, and a
 * state that says how far the run got:
 *
 *   state.json  { state: incomplete | complete | failed | interrupted, ... }
 *
 * `incomplete` is written first, at creation, and stays until the run seals the folder: as
 * `complete` (it ran to a verdict), `failed` (which step, which side, exit code, the kept
 * logs) or `interrupted` (SIGINT/SIGTERM). Sealing writes sha256.txt over every file,
 * state.json included, so `sha256sum -c sha256.txt` and `nbparity verify` can re-check it.
 * A folder still `incomplete`, or without sha256.txt, did not finish: its run was killed or
 * could not write (a full disk).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../src/index.js';
import { EvidenceWriteError, InputError, toJson } from '../contract.js';
import { trackFolder, untrackFolder } from '../run/lifecycle.js';

export function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export type EvidenceState = 'incomplete' | 'complete' | 'failed' | 'interrupted';
export const STATE_SCHEMA = 'nbparity.evidence_state/1';

/** A failed run, as its folder records it. */
export interface FailureRecord {
  step: string; side: string | null; exit_code: number; kind: string; message: string;
  /** files of this folder that hold the kept logs and outputs */
  kept: string[];
}

export interface StateRecord {
  schema: typeof STATE_SCHEMA; state: EvidenceState; created: string; updated: string; pid: number; command: string[];
  result?: { exit_code: number; verdict: string }; failure?: FailureRecord; signal?: string;
}

export class EvidenceDir {
  private sealed = false;
  private readonly created = new Date().toISOString();
  /** what the signal handlers see while the folder is open */
  private readonly tracker: { path: string; markInterrupted: (signal: string) => void };

  private constructor(readonly path: string, readonly stamp: string, readonly command: string[]) {
    this.tracker = { path, markInterrupted: (signal) => { this.sealInterrupted(signal); } };
    this.writeState({ state: 'incomplete' });
    trackFolder(this.tracker);
  }

  /** Create a new, empty evidence folder; never reuses an existing one. */
  static create(root: string, initiative: string, when = new Date(), command: string[] = process.argv.slice(1)): EvidenceDir {
    if (!/^[A-Za-z0-9._-]+$/.test(initiative)) throw new InputError(`initiative '${initiative}' must be letters, digits, '.', '_' or '-'`);
    const stamp = utcStamp(when);
    const parent = join(root, initiative);
    mkdirOrFail(parent, true);
    for (let n = 1; n < 1000; n++) {
      const name = n === 1 ? stamp : `${stamp}-${n}`;
      const path = join(parent, name);
      try {
        mkdirSync(path); // fails if it exists: the folder is ours alone
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new EvidenceWriteError(path, e as NodeJS.ErrnoException);
      }
      return new EvidenceDir(path, name, command);
    }
    throw new InputError(`too many evidence folders for ${stamp} under ${parent}`);
  }

  /** Create a new folder at exactly `path` (its parent may exist); fails if `path` exists. */
  static createAt(path: string, command: string[] = process.argv.slice(1)): EvidenceDir {
    mkdirOrFail(join(path, '..'), true);
    mkdirOrFail(path, false);
    return new EvidenceDir(path, path.split('/').pop()!, command);
  }

  file(name: string): string { return join(this.path, name); }

  /** Write one file whole (or not at all); a failure names the file and the cause (exit 2). */
  write(name: string, data: string | Uint8Array): string {
    const p = this.file(name);
    try {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileAtomic(p, data);
    } catch (e) {
      throw new EvidenceWriteError(p, e as NodeJS.ErrnoException);
    }
    return p;
  }

  /** Copy a side's stdout/stderr files into the folder as NAME.stdout.txt/.stderr.txt; returns their paths (for messages) and adds their names to `kept`. */
  keepLogs(files: { stdoutFile: string; stderrFile: string }, name: string, kept: string[]): string {
    const paths: string[] = [];
    for (const [f, suffix] of [[files.stdoutFile, 'stdout'], [files.stderrFile, 'stderr']] as const) {
      if (!existsSync(f)) continue;
      this.write(`${name}.${suffix}.txt`, readFileSync(f));
      kept.push(`${name}.${suffix}.txt`);
      paths.push(this.file(`${name}.${suffix}.txt`));
    }
    return paths.join(', ');
  }

  /** JSON, with NaN and infinities kept as "NaN", "Infinity", "-Infinity". */
  writeJson(name: string, data: unknown): string {
    return this.write(name, toJson(data));
  }

  private writeState(s: Partial<StateRecord> & { state: EvidenceState }): void {
    const rec: StateRecord = { schema: STATE_SCHEMA, created: this.created, updated: new Date().toISOString(), pid: process.pid, command: this.command, ...s };
    this.writeJson('state.json', rec);
  }

  /** The run reached a verdict: state complete, then sha256.txt. */
  seal(result: { exit_code: number; verdict: string }): string {
    return this.finish({ state: 'complete', result });
  }

  /** The run failed: record which step, side and exit code, then seal what is here. */
  sealFailed(failure: FailureRecord): string {
    return this.finish({ state: 'failed', failure, result: { exit_code: failure.exit_code, verdict: failure.kind } });
  }

  sealInterrupted(signal: string): string {
    return this.finish({ state: 'interrupted', signal });
  }

  get isSealed(): boolean { return this.sealed; }

  private finish(s: Partial<StateRecord> & { state: EvidenceState }): string {
    if (this.sealed) throw new Error(`evidence folder ${this.path} is already sealed`);
    this.sealed = true;
    untrackFolder(this.tracker);
    this.writeState(s);
    const files = listFiles(this.path).filter((f) => f !== 'sha256.txt').sort();
    const lines = files.map((f) => `${createHash('sha256').update(readFileSync(join(this.path, f))).digest('hex')}  ${f}`);
    return this.write('sha256.txt', lines.join('\n') + '\n');
  }
}

function mkdirOrFail(path: string, recursive: boolean): void {
  try { mkdirSync(path, { recursive }); } catch (e) { throw new EvidenceWriteError(path, e as NodeJS.ErrnoException); }
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

/** Check a sealed folder the way `sha256sum -c` would; returns the names that do not match (or are missing). */
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

export interface FolderCheck {
  dir: string;
  /**
   * complete: sealed, intact, and the run reached a verdict. incomplete: the evidence is not a
   * verdict: never sealed (killed, or could not write), or sealed as failed or interrupted.
   * tampered: the seal does not match (files changed, missing, or added after sealing).
   */
  status: 'complete' | 'incomplete' | 'tampered';
  state: EvidenceState | 'unknown';
  detail: string;
}

/** Re-check one evidence folder: its state and its seal. */
export function checkFolder(dir: string): FolderCheck {
  let rec: StateRecord | null = null;
  try { rec = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateRecord; } catch { /* below */ }
  const state: FolderCheck['state'] = rec && ['incomplete', 'complete', 'failed', 'interrupted'].includes(rec.state) ? rec.state : 'unknown';
  if (!existsSync(join(dir, 'sha256.txt'))) {
    return { dir, status: 'incomplete', state, detail: state === 'incomplete' ? 'never sealed: the run was killed or could not write its evidence' : 'no sha256.txt' };
  }
  const listed = new Set<string>();
  for (const line of readFileSync(join(dir, 'sha256.txt'), 'utf8').split('\n')) { const m = /^[0-9a-f]{64} {2}(.+)$/.exec(line); if (m) listed.add(m[1]); }
  const changed = verifySeal(dir);
  const added = listFiles(dir).filter((f) => f !== 'sha256.txt' && !listed.has(f));
  if (changed.length || added.length) {
    return { dir, status: 'tampered', state, detail: [changed.length ? `changed or missing: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}` : '', added.length ? `not in the seal: ${added.slice(0, 5).join(', ')}` : ''].filter(Boolean).join('; ') };
  }
  if (state === 'unknown') return { dir, status: 'incomplete', state, detail: 'sealed, but no readable state.json (an older nbparity, or removed)' };
  if (state === 'incomplete') return { dir, status: 'incomplete', state, detail: 'sealed while still marked incomplete' };
  if (state === 'interrupted') return { dir, status: 'incomplete', state, detail: `sealed as interrupted by ${rec!.signal ?? 'a signal'}` };
  if (state === 'failed') return { dir, status: 'incomplete', state, detail: `sealed as failed at ${rec!.failure?.step ?? '?'} (${rec!.failure?.side ?? 'harness'}, exit ${rec!.failure?.exit_code}): ${rec!.failure?.message.split('\n')[0] ?? ''}` };
  return { dir, status: 'complete', state, detail: `sealed; exit ${rec!.result?.exit_code} (${rec!.result?.verdict})` };
}

/** Every evidence folder at or below `dir` (a folder with state.json or sha256.txt), outermost first. */
export function findFolders(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'state.json')) || existsSync(join(d, 'sha256.txt'))) out.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(dir);
  return out;
}
