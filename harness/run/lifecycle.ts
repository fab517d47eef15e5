/**
 * What a run holds open, so an interrupted run (SIGINT, SIGTERM) leaves nothing behind: the
 * child processes it started (killed), its scratch directories (removed) and its evidence
 * folders (sealed as interrupted). The CLI installs the handlers; library code registers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodeForSignal } from '../contract.js';

export interface Interruptible { path: string; markInterrupted(signal: string): void }

const scratchDirs = new Set<string>();
const folders = new Set<Interruptible>();
const children = new Set<{ kill: (signal?: NodeJS.Signals) => boolean }>();

/** A fresh scratch directory under the system temp dir, removed on interrupt (and by `removeScratch`). */
export function makeScratch(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.add(d);
  return d;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}

export function trackFolder(f: Interruptible): void { folders.add(f); }
export function untrackFolder(f: Interruptible): void { folders.delete(f); }
export function trackChild<T extends { kill: (signal?: NodeJS.Signals) => boolean }>(c: T): T { children.add(c); return c; }
export function untrackChild(c: { kill: (signal?: NodeJS.Signals) => boolean }): void { children.delete(c); }

let installed = false;

/** On SIGINT/SIGTERM: kill children, seal open folders as interrupted, remove scratch, say where, exit 128+n. */
export function installSignalHandlers(write: (line: string) => void): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
      const marked: string[] = [];
      for (const f of folders) {
        try { f.markInterrupted(signal); marked.push(f.path); } catch (e) { write(`nbparity: could not mark ${f.path} interrupted: ${(e as Error).message}`); }
      }
      for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
      write(`nbparity: interrupted by ${signal}; scratch directories removed`);
      for (const p of marked) write(`  evidence: ${p} (interrupted)`);
      process.exit(exitCodeForSignal(signal));
    });
  }
}
