/**
 * Recorded fingerprints (traces/fingerprints/*.json): what a real C build did on every probe
 * (the sha256 of its float image, or how it failed), with provenance. Replaying a record runs
 * only the engine's side of the probes and decides again, so the catalogue's `c` and `fixed`
 * states are checked against real builds (upstream, its fix branches, the golden fork) on a
 * machine without any C. A record made with other probes (another catalogue version) is
 * refused, never decided with the wrong probes.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../contract.js';
import { validate } from '../schemas/validate.js';
import { catalogueVersion } from '../../src/quirks/catalogue.js';
import { assemble, cachedEngineOutcomes, decideAll, engineDigest, type COutcomes, type Fingerprint } from './run.js';

export interface FingerprintRecord {
  schema_version: 'nbparity.fingerprint_record/1';
  label: string;
  catalogue_version: string;
  provenance: { repo: string; ref: string; commit: string; path: string; c_sha256: string; compiler: string; flags: string[]; omp_num_threads: string; command: string; recorded: string };
  c_outcomes: COutcomes;
  expected: { has: string[]; fixes: string[]; unknown: string[] };
}

/** A record of a fresh fingerprint (its C outcomes and verdicts) with where the C came from. */
export function toRecord(fp: Fingerprint, label: string, where: { repo: string; ref: string; commit: string; path: string }): FingerprintRecord {
  const rec: FingerprintRecord = {
    schema_version: 'nbparity.fingerprint_record/1', label, catalogue_version: fp.catalogue_version,
    provenance: {
      ...where, c_sha256: fp.c.source_sha256, compiler: fp.c.compiler, flags: fp.c.flags,
      omp_num_threads: '1 (2 for the probes of entries without a switch: see the catalogue)',
      command: `nbparity fingerprint --c-source ${basename(fp.c.source)} --record ${label}`, recorded: fp.created,
    },
    c_outcomes: fp.c_outcomes,
    expected: { has: fp.has, fixes: fp.fixes, unknown: fp.unknown },
  };
  validate('fingerprintRecord', rec);
  return rec;
}

export function loadRecord(file: string): FingerprintRecord {
  let rec: FingerprintRecord;
  try { rec = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new InputError(`${file}: not a readable fingerprint record (${(e as Error).message})`); }
  try { validate('fingerprintRecord', rec); } catch (e) { throw new InputError(`${file}: ${(e as Error).message}`); }
  if (rec.catalogue_version !== catalogueVersion()) {
    throw new InputError(`${file}: recorded with catalogue version ${rec.catalogue_version}, this catalogue is ${catalogueVersion()} (its probes changed): record it again with the C (nbparity fingerprint --record)`);
  }
  return rec;
}

/** Decide a record again with this engine: the fingerprint, and whether it is the recorded one. */
export async function replayRecord(file: string, o: { timeoutSec?: number } = {}): Promise<{ record: FingerprintRecord; fp: Fingerprint; same: boolean; differences: string[] }> {
  const record = loadRecord(file);
  const t0 = performance.now();
  const eOut = await cachedEngineOutcomes({ timeoutMs: (o.timeoutSec ?? 120) * 1000 });
  const p = record.provenance;
  const fp = assemble(decideAll(record.c_outcomes, eOut), {
    c: { source: `${p.repo} ${p.ref} ${p.path} (recorded ${p.recorded})`, source_sha256: p.c_sha256, dialect: 'recorded', compiler: p.compiler, flags: p.flags, binary: '(recorded outcomes)' },
    digest: engineDigest(), wallMs: Math.round(performance.now() - t0), cOutcomes: record.c_outcomes,
  });
  validate('fingerprint', fp);
  const differences: string[] = [];
  for (const k of ['has', 'fixes', 'unknown'] as const) {
    const a = [...fp[k]].sort().join(','), b = [...record.expected[k]].sort().join(',');
    if (a !== b) differences.push(`${k}: now [${fp[k].join(', ')}], recorded [${record.expected[k].join(', ')}]`);
  }
  return { record, fp, same: differences.length === 0, differences };
}
