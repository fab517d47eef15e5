/**
 * The exit-code contract, in one place. Every command of nbparity ends through
 * `exitCodeFor` (errors) or a verdict (gates):
 *
 *   0  pass: both sides exited 0, every output the comparison reads exists with the size the
 *      configuration implies, every trace is complete (exactly one entry per evaluation key,
 *      every line parsed whole), every gated number on both sides is finite, every gate passes
 *   1  a gate failed (a NaN or infinity in a gated quantity is a failure of that gate)
 *   2  usage or input error: unknown option, a configured C source that does not exist, is a
 *      directory, empty or not C; compile error; instrumentation failure; a recorded reference
 *      whose files do not match its provenance.json; the harness cannot write its evidence
 *   3  a side failed: crash, timeout, non-zero exit, missing or short output, a malformed or
 *      incomplete trace, C output that is not reproducible between two runs
 *
 * An interrupted run (SIGINT, SIGTERM) exits 128 + the signal number (130, 143), with its
 * evidence folder marked interrupted.
 */

export const EXIT = { pass: 0, gate: 1, input: 2, side: 3 } as const;
export type ExitCode = 0 | 1 | 2 | 3;

/** An error that knows its exit code. `evidence` is set once the failure is recorded in a folder. */
export abstract class ContractError extends Error {
  abstract readonly exitCode: 1 | 2 | 3;
  /** the evidence folder that records this failure (absolute path), when there is one */
  evidence?: string;
  /** which step failed (locate, instrument, compile, run, parse, compare, write, ...) */
  step?: string;
  /** which side: 'C', 'engine', 'harness' */
  side?: string;
}

/** Exit 1, where a command cannot go on once a gate failed (the sweep, when the evaluation grids differ). */
export class GateFailedError extends ContractError {
  override name = 'GateFailedError';
  readonly exitCode = 1 as const;
}

/** Exit 2: usage or input error. */
export class InputError extends ContractError {
  override name = 'InputError';
  readonly exitCode = 2 as const;
}

/** Exit 3: a side (the C or the engine) failed or gave output that cannot be trusted. */
export class SideError extends ContractError {
  override name = 'SideError';
  readonly exitCode = 3 as const;
}

/** Exit 3: a trace is malformed or incomplete (missing, duplicate, extra or cut entries, unparsable numbers). */
export class TraceIncompleteError extends SideError {
  override name = 'TraceIncompleteError';
}

/** Exit 3: two runs of the same C on the same input differ (OpenMP data race); the engine is not judged. */
export class NotReproducibleError extends SideError {
  override name = 'NotReproducibleError';
}

/** Exit 2: the harness could not write its own evidence (full disk, read-only place, a directory in the way). */
export class EvidenceWriteError extends InputError {
  override name = 'EvidenceWriteError';
  constructor(readonly file: string, readonly errno: NodeJS.ErrnoException & { detail?: string }) {
    super(`cannot write ${file}: ${errno.code ?? 'error'} (${errno.detail ?? errno.message.replace(/^[A-Z]+: /, '')})`);
    this.step = 'write evidence';
    this.side = 'harness';
  }
}

/** The exit code of any error: the contract's for ours, 2 for anything else (an internal error is never a pass). */
export function exitCodeFor(e: unknown): 1 | 2 | 3 {
  return e instanceof ContractError ? e.exitCode : 2;
}

/** The exit code of a signal that interrupted a run. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129;
}

/**
 * Shorten a message for one console line without cutting a number or a word in half: cut at
 * the last whitespace before `max` and say how much was left out.
 */
export function clip(text: string, max: number): string {
  const line = text.split('\n')[0];
  if (line.length <= max) return line;
  const cut = line.lastIndexOf(' ', max);
  if (cut <= 0) return line; // one long word (a path): whole, never cut
  return `${line.slice(0, cut)} … (${line.length - cut} more characters)`;
}

/**
 * JSON with non-finite numbers kept: NaN, Infinity and -Infinity are written as the strings
 * "NaN", "Infinity", "-Infinity" (the schemas' `real` type), never as null.
 */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}
