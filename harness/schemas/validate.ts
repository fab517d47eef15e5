/**
 * JSON Schema validation (ajv) of what the harness writes and reads back: parsed traces
 * and delta_metrics.json. Schemas are versioned files next to this module.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { projectRoot } from '../c/build.js';
import { InputError, toJson } from '../contract.js';

/** What the harness writes or reads does not fit its schema (exit 2: never a pass). */
export class SchemaError extends InputError {
  override name = 'SchemaError';
  constructor(readonly schema: string, readonly errors: ErrorObject[]) {
    super(`${schema}: ${errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
}

export const SCHEMAS = { trace: 'trace.v1.schema.json', deltaMetrics: 'delta_metrics.v1.schema.json', dtypeSweep: 'dtype_sweep.v1.schema.json', suiteCase: 'suite_case.v1.schema.json', suiteSummary: 'suite_summary.v1.schema.json', fingerprint: 'fingerprint.v1.schema.json', fingerprintRecord: 'fingerprint_record.v1.schema.json' } as const;
export type SchemaName = keyof typeof SCHEMAS;

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();

export function schemaPath(name: SchemaName): string {
  return join(projectRoot(), 'harness', 'schemas', SCHEMAS[name]);
}

/** Throws SchemaError unless `data` (after a JSON round trip, as it would be read back) is valid. */
export function validate(name: SchemaName, data: unknown): void {
  let fn = cache.get(name);
  if (!fn) { fn = ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8'))); cache.set(name, fn); }
  const roundTripped = JSON.parse(toJson(data));
  if (!fn(roundTripped)) throw new SchemaError(SCHEMAS[name], fn.errors ?? []);
}
