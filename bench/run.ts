/**
 * One timed whole-process run: wall time from spawn to exit measured here, peak memory (and
 * user/system CPU) from /usr/bin/time when it is there. Output goes to files in the run's
 * folder (the same cost for both sides); a run past its timeout is killed with its process
 * group.
 */
import { engineProcessEnv } from '../src/index.js';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  ok: boolean;
  wall_ms: number;
  /** peak resident memory (KiB), user and system CPU seconds: from /usr/bin/time, else null */
  max_rss_kb: number | null; user_s: number | null; sys_s: number | null;
  exit: number | null; signal: string | null;
  /** why it failed: the last lines of its stderr (or stdout) */
  error?: string;
}

const TIME = '/usr/bin/time';
let launcherChecked: string | null | undefined;
/** /usr/bin/time when it exists and understands -f/-o (GNU time), else null */
export function timeLauncher(): string | null {
  if (launcherChecked === undefined) {
    launcherChecked = null;
    if (existsSync(TIME)) {
      const r = spawnSync(TIME, ['-f', '%e %M %U %S', 'true'], { encoding: 'utf8' });
      if (r.status === 0 && /^[\d.]+ \d+ [\d.]+ [\d.]+\s*$/m.test(r.stderr)) launcherChecked = TIME;
    }
  }
  return launcherChecked;
}

/** the last line of /usr/bin/time's report: elapsed, max RSS (KiB), user, system */
export function parseTimeReport(text: string): { max_rss_kb: number; user_s: number; sys_s: number } | null {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(l.trim());
    if (m) return { max_rss_kb: Number(m[2]), user_s: Number(m[3]), sys_s: Number(m[4]) };
  }
  return null;
}

let current: { pid: number } | null = null;
/** Kill the run in progress (its whole process group), if any: for Ctrl-C. */
export function killCurrent(): void {
  if (current) { try { process.kill(-current.pid, 'SIGKILL'); } catch { /* gone */ } }
}

function tail(file: string, lines = 6): string {
  try { return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

/**
 * Run `cmd args` in `cwd` with `env` added; stdout to `<tag>.out`, stderr to `<tag>.err` in
 * `cwd` (read them after for the printout or JSON).
 */
export async function timedRun(cmd: string, args: readonly string[], o: { cwd: string; env?: Record<string, string>; tag: string; timeoutMs: number; launcher: string | null; engine?: boolean }): Promise<RunResult> {
  const outFile = join(o.cwd, `${o.tag}.out`), errFile = join(o.cwd, `${o.tag}.err`), timeFile = join(o.cwd, `${o.tag}.time`);
  rmSync(timeFile, { force: true });
  const out = openSync(outFile, 'w'), err = openSync(errFile, 'w');
  const [file, argv] = o.launcher ? [o.launcher, ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, [...args]];
  let timedOut = false;
  const t0 = performance.now();
  const res = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; spawnError?: Error }>((resolve) => {
    let child;
    try {
      // the engine as the harness starts it: without NODE_EXTRA_CA_CERTS (src/index.ts engineProcessEnv)
      child = spawn(file, argv, { cwd: o.cwd, env: { ...(o.engine ? engineProcessEnv() : process.env), ...o.env }, stdio: ['ignore', out, err], detached: true });
    } catch (e) { resolve({ code: null, signal: null, ms: 0, spawnError: e as Error }); return; }
    current = { pid: child.pid! };
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, o.timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, signal: null, ms: performance.now() - t0, spawnError: e }); });
    child.on('exit', (code, signal) => { const ms = performance.now() - t0; clearTimeout(timer); resolve({ code, signal, ms }); });
  });
  current = null;
  closeSync(out); closeSync(err);
  let rep: ReturnType<typeof parseTimeReport> = null, timeText = '';
  if (o.launcher) { try { timeText = readFileSync(timeFile, 'utf8'); rep = parseTimeReport(timeText); } catch { /* killed before it wrote */ } }
  // GNU time exits with the command's status; a command killed by a signal is reported in its file
  const killedBy = /Command terminated by signal (\d+)/.exec(timeText);
  const ok = !res.spawnError && !timedOut && res.code === 0 && res.signal === null;
  const r: RunResult = { ok, wall_ms: res.ms, max_rss_kb: rep?.max_rss_kb ?? null, user_s: rep?.user_s ?? null, sys_s: rep?.sys_s ?? null, exit: res.code, signal: res.signal ?? (killedBy ? `signal ${killedBy[1]}` : null) };
  if (!ok) {
    const why = res.spawnError ? `cannot start ${file}: ${res.spawnError.message}`
      : timedOut ? `killed after ${o.timeoutMs / 1000} s (--timeout)`
        : `exit ${res.code ?? r.signal}`;
    const said = tail(errFile) || tail(outFile);
    r.error = said ? `${why}: ${said}` : why;
  }
  return r;
}
