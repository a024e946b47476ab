import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createFileLogger } from '../logger.js';
import { demoSummary, type DemoFacts } from './demo-summary.js';
import { generateCommand } from './generate.js';
import { runCommand } from './run.js';

/** The package root, from dist/pipelines/commands (compiled) or pipelines/commands (tests). */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
export const DEFAULT_JOB = join(ROOT, 'pipelines/customer-analytics.yaml');
export const SAMPLE_EVENTS = join(ROOT, 'samples/events.ndjson');
const SAMPLE_TRUTH = join(ROOT, 'samples/events.truth.json');

/** The generator's counts of what it injected on purpose, when its ground-truth file is there. */
function injected(truthFile: string): DemoFacts['injected'] {
  if (!existsSync(truthFile)) return undefined;
  const counts = (JSON.parse(readFileSync(truthFile, 'utf8')) as { counts?: { duplicates?: number; late?: number; malformed?: number } }).counts;
  if (counts?.duplicates === undefined || counts.late === undefined || counts.malformed === undefined) return undefined;
  return { duplicates: counts.duplicates, late: counts.late, malformed: counts.malformed, truthFile };
}

/**
 * `pulse demo`: runs the default job end to end on the bundled sample into a fresh database, then
 * prints a summary of what came out and where. Everything it writes is under `dir` (the source
 * tree is left as it is): the job reads a copy of the sample there, so the rejects file lands
 * beside the copy, and the job's JSON log goes to a file instead of between the summary's lines.
 */
export async function demoCommand(options: { dir: string }): Promise<void> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'events.ndjson');
  const db = join(dir, 'pulse.duckdb');
  const reportsDir = join(dir, 'reports');
  const logFile = join(dir, 'pulse.log');
  const rejectsFile = join(dir, 'events.rejects.ndjson');
  for (const path of [db, `${db}.wal`, rejectsFile, logFile, input]) rmSync(path, { force: true });
  rmSync(reportsDir, { recursive: true, force: true });
  let truthFile = SAMPLE_TRUTH;
  if (existsSync(SAMPLE_EVENTS)) {
    copyFileSync(SAMPLE_EVENTS, input);
  } else {
    truthFile = join(dir, 'events.truth.json');
    await generateCommand({ out: input, customers: 300, days: 56, seed: 42, truth: truthFile });
  }
  process.stderr.write(`pulse demo: running the default job over the sample (300 customers, 8 weeks); the job logs to ${logFile}\n`);
  const summary = await runCommand({ config: DEFAULT_JOB, input: [input], db, reports: reportsDir, logger: createFileLogger(logFile) });
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const facts: DemoFacts = {
      root: ROOT,
      job: DEFAULT_JOB,
      input,
      db,
      reportsDir,
      rejectsFile,
      logFile,
      records: summary.records,
      accepted: summary.accepted,
      rejected: summary.rejected,
    };
    const fromGenerator = injected(truthFile);
    process.stdout.write(await demoSummary(connection, fromGenerator ? { ...facts, injected: fromGenerator } : facts));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
