#!/usr/bin/env node
/**
 * nbparity: does the TypeScript engine match nanoBragg.c?
 * Exit codes: 0 pass, 1 a gate failed, 2 usage or input error, 3 a side crashed or timed out.
 */
import chalk from 'chalk';
import { replayAll, type ReplayRow } from './replay.js';

const USAGE = `usage: nbparity <command> [options]

commands:
  replay     compare the engine with the recorded nanoBragg.c references (traces/reference), no C needed
  parity     the main job: replay against the recorded references

options:
  --case ID          only this reference case (repeatable)
  --dtype float64|float32   engine precision for replay (default float64)
  --json             machine-readable output on stdout
  --help             this text
`;

class UsageError extends Error { override name = 'UsageError'; }

interface Options { command: string; cases: string[]; dtype: 'float64' | 'float32'; json: boolean; help: boolean }

export function parseCli(argv: string[]): Options {
  const o: Options = { command: '', cases: [], dtype: 'float64', json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { const v = argv[++i]; if (v === undefined) throw new UsageError(`${a} needs a value`); return v; };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--json') o.json = true;
    else if (a === '--case') o.cases.push(value());
    else if (a === '--dtype') { const v = value(); if (v !== 'float64' && v !== 'float32') throw new UsageError(`--dtype expects float64 or float32, got '${v}'`); o.dtype = v; }
    else if (a === '--all') { /* every case: the default */ }
    else if (!a.startsWith('-') && !o.command) o.command = a;
    else throw new UsageError(`unknown argument '${a}'`);
  }
  return o;
}

function row(r: ReplayRow): string {
  const d = r.diff;
  const verdict = r.pass ? chalk.green('pass') : chalk.red('FAIL');
  const key = `${r.mode}${r.threads > 1 ? '@' + r.threads : ''}`;
  return `${verdict}  ${r.case.padEnd(22)} ${key.padEnd(11)} identical ${(100 * d.identicalFraction).toFixed(3).padStart(7)}%  ` +
    `max ulp ${String(d.maxUlp).padStart(3)}  max rel ${d.maxRel.toExponential(1)}  corr ${d.correlation.toFixed(9)}  ${r.ms.toFixed(0)} ms`;
}

function main(argv: string[]): number {
  let o: Options;
  try { o = parseCli(argv); } catch (e) { process.stderr.write(`nbparity: ${(e as Error).message}\n${USAGE}`); return 2; }
  if (o.help || !o.command) { (o.help ? process.stdout : process.stderr).write(USAGE); return o.help ? 0 : 2; }
  if (o.command !== 'replay' && o.command !== 'parity') { process.stderr.write(`nbparity: unknown command '${o.command}'\n${USAGE}`); return 2; }
  try {
    if (!o.json) process.stdout.write(`replaying recorded nanoBragg.c references (engine ${o.dtype})\n`);
    const rows = replayAll({ only: o.cases.length ? o.cases : undefined, dtype: o.dtype, onRow: o.json ? undefined : (r) => process.stdout.write(row(r) + '\n') });
    const failed = rows.filter((r) => !r.pass);
    if (o.json) process.stdout.write(JSON.stringify({ command: o.command, mode: 'replay', dtype: o.dtype, pass: failed.length === 0, rows }, null, 2) + '\n');
    else process.stdout.write(`${rows.length - failed.length}/${rows.length} recorded images match the C ${failed.length ? chalk.red('(' + failed.length + ' failed)') : chalk.green('(all pass)')}\n`);
    return failed.length ? 1 : 0;
  } catch (e) {
    process.stderr.write(`nbparity: ${(e as Error).message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
