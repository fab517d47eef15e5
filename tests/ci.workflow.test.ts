/**
 * The shipped CI: .github/workflows/nightly-parity.yml parses and has the schedule, the shard
 * matrix, the merge job after the shards, the ledger's persistence and the fail step; the
 * Slurm script passes `bash -n` and runs the shards as an array plus a dependent merge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const WF = join(process.cwd(), '.github', 'workflows', 'nightly-parity.yml');
const SLURM = join(process.cwd(), 'scripts', 'slurm-nightly.sh');

describe('nightly-parity workflow', () => {
  const wf = parse(readFileSync(WF, 'utf8'));
  const shard = wf.jobs.shard, merge = wf.jobs.merge;
  const runs = (job: any) => job.steps.map((s: any) => s.run ?? '').join('\n');
  const uses = (job: any) => job.steps.map((s: any) => s.uses ?? '');

  it('is scheduled and can be started by hand, with a fail-on-drift input', () => {
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(wf.on.workflow_dispatch.inputs.fail_on_drift.type).toBe('boolean');
  });

  it('runs a matrix of shards: Node 20, npm ci, the user C, the build cache by the C hash, suite --shard', () => {
    expect(shard.strategy.matrix.shard).toEqual([1, 2, 3]);
    expect(shard.strategy['fail-fast']).toBe(false);
    expect(shard.steps.find((s: any) => String(s.uses).startsWith('actions/setup-node')).with['node-version']).toBe(20);
    expect(runs(shard)).toContain('npm ci');
    expect(runs(shard)).toMatch(/NANOBRAGG_C_URL|C_URL/);
    const cache = shard.steps.find((s: any) => s.with?.path === '.cache/cbuild');
    expect(cache.uses).toMatch(/^actions\/cache@/);
    expect(cache.with.key).toContain("hashFiles('golden_suite_generator/nanoBragg.c')");
    expect(runs(shard)).toMatch(/nbparity suite "\$SUITE" --shard \$\{\{ matrix\.shard \}\}\/3 --live/);
    expect(uses(shard).some((u: string) => u.startsWith('actions/upload-artifact'))).toBe(true);
  });

  it('merges after the shards: downloads, restores and saves the ledger, merges, publishes JUnit, fails on regressions', () => {
    expect([merge.needs].flat()).toContain('shard');
    expect(uses(merge).some((u: string) => u.startsWith('actions/download-artifact'))).toBe(true);
    const restore = merge.steps.findIndex((s: any) => String(s.uses).startsWith('actions/cache/restore') && s.with.path === 'ledger');
    const mergeStep = merge.steps.findIndex((s: any) => /nbparity merge/.test(s.run ?? ''));
    const save = merge.steps.findIndex((s: any) => String(s.uses).startsWith('actions/cache/save') && s.with.path === 'ledger');
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(mergeStep).toBeGreaterThan(restore);
    expect(save).toBeGreaterThan(mergeStep);
    // a rolling key: saved under this run's id, restored by prefix
    expect(merge.steps[save].with.key).toContain('github.run_id');
    expect(merge.steps[restore].with['restore-keys']).toMatch(/^ledger-/);
    expect(merge.steps[mergeStep].run).toContain('--ledger ledger/ledger.csv');
    expect(merge.steps[mergeStep].run).toContain('--fail-on-drift');
    expect(uses(merge).some((u: string) => /test-reporter|publish-unit-test-result/.test(u))).toBe(true);
    const fail = merge.steps[merge.steps.length - 1];
    expect(fail.if).toBe('always()');
    expect(fail.run).toMatch(/exit 1/);
    expect(fail.run).toContain('steps.merge.outputs.exit');
  });
});

describe('Slurm script', () => {
  it('passes bash -n', () => {
    const r = spawnSync('bash', ['-n', SLURM], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is a job array of shards with a dependent merge', () => {
    const s = readFileSync(SLURM, 'utf8');
    expect(s).toMatch(/^#SBATCH --array=1-\d+$/m);
    expect(s).toContain('--shard "$SLURM_ARRAY_TASK_ID/$n"');
    expect(s).toContain('n=${SLURM_ARRAY_TASK_COUNT:-$SHARDS}');
    expect(s).toMatch(/--dependency=afterany:"\$array"/);
    expect(s).toMatch(/merge \$dirs .*--ledger "\$LEDGER"/);
  });
});
