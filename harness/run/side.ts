/**
 * Running one side (the C binary or the engine CLI) as a process: fresh scratch working
 * directory, fixed environment, timeout, stdout and stderr kept to files. Every run
 * returns a RunRecord, success or not; the caller decides what a failure means.
 */
import { join } from 'node:path';
import { SideError } from '../contract.js';
import { execa } from 'execa';
import { engineProcessEnv } from '../../src/index.js';
import { trackChild, untrackChild } from './lifecycle.js';

export interface RunRecord {
  side: 'C' | 'TS';
  command: string[];
  cwd: string;
  env: Record<string, string>;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  failed: boolean;
  durationMs: number;
  stdoutFile: string;
  stderrFile: string;
}

/** A side that crashed, timed out or exited non-zero (exit 3). `kept` names the copies of its logs in the evidence folder. */
export class SideFailedError extends SideError {
  override name = 'SideFailedError';
  constructor(readonly run: RunRecord, tail: string, kept?: string) {
    super(`the ${run.side === 'C' ? 'C program' : 'engine'} ${describeEnd(run)}: ${run.command.join(' ')}${kept ? `\n(logs kept: ${kept})` : ''}${tail ? '\n' + tail : ''}`);
    this.side = run.side === 'C' ? 'C' : 'engine';
  }
}

export function describeEnd(run: RunRecord): string {
  return run.timedOut ? 'timed out' : run.signal ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
}

export async function runSide(side: 'C' | 'TS', command: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs: number; name: string }): Promise<RunRecord> {
  const stdoutFile = join(opts.cwd, `${opts.name}.stdout.txt`);
  const stderrFile = join(opts.cwd, `${opts.name}.stderr.txt`);
  const env = opts.env ?? {};
  const t0 = performance.now();
  const child = trackChild(execa(command[0], command.slice(1), {
    // the engine starts without NODE_EXTRA_CA_CERTS (engineProcessEnv: it opens no TLS connection)
    cwd: opts.cwd, env: { ...(side === 'TS' ? engineProcessEnv() : process.env), ...env }, extendEnv: false, reject: false, timeout: opts.timeoutMs, killSignal: 'SIGKILL',
    stdin: 'ignore', stdout: { file: stdoutFile }, stderr: { file: stderrFile },
  }));
  const r = await child;
  untrackChild(child);
  return {
    side, command, cwd: opts.cwd, env, exitCode: r.exitCode ?? null, signal: r.signal ?? null, timedOut: Boolean(r.timedOut),
    failed: Boolean(r.failed), durationMs: performance.now() - t0, stdoutFile, stderrFile,
  };
}
