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

/**
 * Give the terminal back as it was before a progress display (cli-progress hides the cursor and
 * redraws one line of stderr with line wrap off): that line cleared, the cursor shown again
 * ("\x1b[?25h") and line wrap back on ("\x1b[?7h"), on each stream that is a terminal. Nothing
 * is written to a pipe or a file.
 */
export function restoreTerminal(streams: Array<{ isTTY?: boolean; write: (s: string) => unknown }> = [process.stderr, process.stdout]): void {
  for (const [i, s] of streams.entries()) {
    if (!s.isTTY) continue;
    try { s.write(`${i === 0 ? '\r\x1b[K' : ''}\x1b[?25h\x1b[?7h`); } catch { /* a closed terminal */ }
  }
}

/** On SIGINT/SIGTERM: restore the terminal, kill children, seal open folders as interrupted, remove scratch, say where, exit 128+n. */
export function installSignalHandlers(write: (line: string) => void): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      restoreTerminal(); // a progress bar (suite, sweep) hid the cursor: a Ctrl-C must not leave it hidden
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
