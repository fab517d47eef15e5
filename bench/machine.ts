/**
 * The machine a benchmark runs on: what it is, how busy it is, and how much of that is not
 * the benchmark. Linux's /proc/stat gives every CPU's busy time; /proc/self/stat gives this
 * process's own time and its waited-for children's (the timed runs, and /usr/bin/time with
 * its child). What is left is other processes' load. Elsewhere the load numbers are null.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

let tck: number | null | undefined;
/** clock ticks per second of /proc's CPU times (getconf CLK_TCK; 100 where it cannot say) */
export function clockTicks(): number {
  if (tck === undefined) {
    try { tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { tck = 100; }
  }
  return tck ?? 100;
}

/** All CPUs' busy and total ticks since boot (busy = total − idle − iowait), or null without /proc/stat. */
export function cpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return null;
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch { return null; }
}

/** This process's CPU ticks and its waited-for children's, or null without /proc/self/stat. */
export function ownTicks(): { self: number; children: number } | null {
  try {
    const s = readFileSync('/proc/self/stat', 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number); // rest[0] is field 3 (state)
    return { self: rest[11] + rest[12], children: rest[13] + rest[14] };
  } catch { return null; }
}

export interface LoadNote {
  wall_s: number;
  loadavg_before: number[]; loadavg_after: number[];
  /** average cores busy during the case: all processes, the benchmark's runs, the benchmark itself, everyone else */
  busy_cores: number | null; runs_cores: number | null; bench_cores: number | null; other_cores: number | null;
  idle_wait: IdleWait | null;
}

/** Start measuring; the returned function stops and says how busy the machine was and with what. */
export function startLoad(idle: IdleWait | null = null): () => LoadNote {
  const t0 = performance.now(), la0 = os.loadavg(), c0 = cpuTicks(), o0 = ownTicks();
  return () => {
    const wall = (performance.now() - t0) / 1000, c1 = cpuTicks(), o1 = ownTicks(), hz = clockTicks();
    const cores = (ticks: number) => ticks / hz / wall;
    const ok = c0 && c1 && o0 && o1 && wall > 0;
    const busy = ok ? cores(c1.busy - c0.busy) : null;
    const runs = ok ? cores(o1.children - o0.children) : null;
    const bench = ok ? cores(o1.self - o0.self) : null;
    return {
      wall_s: wall, loadavg_before: la0, loadavg_after: os.loadavg(), busy_cores: busy, runs_cores: runs, bench_cores: bench,
      other_cores: busy !== null && runs !== null && bench !== null ? busy - runs - bench : null, idle_wait: idle,
    };
  };
}

export interface IdleWait { idle: boolean; waited_s: number; busy_cores: number | null; threshold: string }

/**
 * Wait until the machine is idle: all CPUs less than `busyFraction` busy over one second
 * (at most `maxSeconds`). Without /proc/stat it cannot tell and does not wait.
 */
export async function waitIdle(maxSeconds: number, busyFraction = 0.1): Promise<IdleWait> {
  const threshold = `below ${busyFraction * 100}% of all CPUs busy over 1 s`;
  const t0 = performance.now();
  if (!cpuTicks()) return { idle: false, waited_s: 0, busy_cores: null, threshold: 'not measured (no /proc/stat)' };
  let busy: number | null = null;
  for (;;) {
    const a = cpuTicks()!;
    await sleep(1000);
    const b = cpuTicks()!;
    const frac = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
    busy = frac * os.cpus().length;
    const waited = (performance.now() - t0) / 1000;
    if (frac < busyFraction) return { idle: true, waited_s: waited, busy_cores: busy, threshold };
    if (waited >= maxSeconds) return { idle: false, waited_s: waited, busy_cores: busy, threshold };
  }
}

export interface MachineInfo { cpu_model: string; cores: number; memory_bytes: number; os: string; node: string; clk_tck: number }

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model?.trim() ?? 'unknown', cores: cpus.length, memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, clk_tck: clockTicks(),
  };
}

/** The commit of the git work tree holding `path`, and whether tracked files differ from it (null outside git). */
export function gitState(path: string): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['-C', path, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['-C', path, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch { return null; }
}
