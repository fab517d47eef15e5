/**
 * Running one side (the C binary or the engine CLI) as a process: fresh scratch working
 * directory, fixed environment, timeout, stdout and stderr kept to files. Every run
 * returns a RunRecord, success or not; the caller decides what a failure means.
 */
import { join } from 'node:path';
import { execa } from 'execa';

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

export class SideFailedError extends Error {
  override name = 'SideFailedError';
  constructor(readonly run: RunRecord, tail: string) {
    const why = run.timedOut ? 'timed out' : run.signal ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    super(`the ${run.side === 'C' ? 'C program' : 'engine'} ${why}: ${run.command.join(' ')}\n(cwd ${run.cwd}; stdout ${run.stdoutFile}, stderr ${run.stderrFile})${tail ? '\n' + tail : ''}`);
  }
}

export async function runSide(side: 'C' | 'TS', command: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs: number; name: string }): Promise<RunRecord> {
  const stdoutFile = join(opts.cwd, `${opts.name}.stdout.txt`);
  const stderrFile = join(opts.cwd, `${opts.name}.stderr.txt`);
  const env = opts.env ?? {};
  const t0 = performance.now();
  const r = await execa(command[0], command.slice(1), {
    cwd: opts.cwd, env: { ...process.env, ...env }, reject: false, timeout: opts.timeoutMs, killSignal: 'SIGKILL',
    stdin: 'ignore', stdout: { file: stdoutFile }, stderr: { file: stderrFile },
  });
  return {
    side, command, cwd: opts.cwd, env, exitCode: r.exitCode ?? null, signal: r.signal ?? null, timedOut: Boolean(r.timedOut),
    failed: Boolean(r.failed), durationMs: performance.now() - t0, stdoutFile, stderrFile,
  };
}
