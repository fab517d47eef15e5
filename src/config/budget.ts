/**
 * What a run will cost, known before anything large is allocated: memory (images and output
 * buffers, the HKL grid, the source and lattice tables) against a limit (this machine's
 * memory, or --max-memory), and work (evaluations = pixels × sub-pixels × layers × sources ×
 * φ steps × mosaic domains). A part that cannot fit is a FlagError naming the flags that
 * asked for it and the estimate (exit 2), never an out-of-memory crash or a run that grows
 * without bound.
 */
import { totalmem } from 'node:os';
import { FlagError } from './argv.js';

export interface Budget { limit: number; from: string }

export function budgetOf(maxMemory: number | null): Budget {
  return maxMemory !== null ? { limit: maxMemory, from: `--max-memory ${fmtBytes(maxMemory)}` } : { limit: totalmem(), from: `this machine's memory (${fmtBytes(totalmem())})` };
}

/** Bytes per detector pixel: the float image, the int image and its SMV bytes, PGM, noise image and its bytes. */
export const BYTES_PER_PIXEL = 4 + 2 + 2 + 1 + 2 + 2 + 4;

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} bytes`;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return `${u === 0 ? n : n.toPrecision(3)} ${units[u]}`;
}

/** Refuse `bytes` for `what` (asked for by `flag`) unless it fits the budget. */
export function need(b: Budget, flag: string, what: string, bytes: number): void {
  if (!(bytes <= b.limit)) throw new FlagError(flag, `${what} needs about ${fmtBytes(bytes)} of memory, more than ${b.from}; --max-memory SIZE to change`);
}

/** --max-memory SIZE: bytes, or a number with K, M, G or T (powers of 1024). */
export function parseSize(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new FlagError(flag, `expects a size such as 8G, 512M or 1000000000, got '${v}'`);
  const n = Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  if (!(n >= 1)) throw new FlagError(flag, `expects a positive size, got '${v}'`);
  return n;
}
