import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTaxonomyYaml } from '../../operators/reason-taxonomy.js';
import { DuckDBStore } from '../../sinks/duckdb/store.js';
import { saveTaxonomyVersion } from '../../sinks/taxonomy/store.js';
import { REASONS_V1, REASONS_V2, contactLines, jobReasonTables, reasonOracle, reasonsByVersion } from '../helpers/reason-oracle.js';
import { runJob, testJob } from '../helpers/run-job.js';

/**
 * Issue 15 item 3 end to end, in this process: a job maps contact reasons through the active
 * reason list; a new version (a rename and a merge) saved while it runs is used from the
 * checkpoint after it, without a restart, on every worker thread. Rows keep the version that
 * mapped them; unknown codes are counted. The oracle is DuckDB SQL (test/helpers/reason-oracle.ts).
 * test/pipelines/reason-taxonomy-live.test.ts does the same on the console of a running
 * `pulse run --input -`.
 */
const PER_SEGMENT = 40;
/** Three stretches of contacts: days 1 and 5 (one FCR look-ahead apart) and day 15. */
const SEGMENTS = [Date.UTC(2026, 2, 2, 9), Date.UTC(2026, 2, 6, 9), Date.UTC(2026, 2, 16, 9)];

let dir = '';

describe('contact reasons through the active reason list', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-taxonomy-job-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a version saved while the job runs maps the contacts after the next checkpoint; rows keep their version; unknown codes are counted', async () => {
    const input = join(dir, 'contacts.ndjson');
    writeFileSync(input, `${SEGMENTS.flatMap((start, s) => contactLines(s, start, PER_SEGMENT)).join('\n')}\n`);
    const db = join(dir, 'job.duckdb');
    const store = await DuckDBStore.open(db);
    await saveTaxonomyVersion(store.connection, parseTaxonomyYaml(REASONS_V1, 'v1'), { actor: 'ana', at: Date.UTC(2026, 2, 1) }, 'first list');
    store.close();

    const job = testJob({ paths: [input], db, operators: '  - type: contact_kpis\n    window_sizes: [1h]', extra: 'workers: 2' });
    // A checkpoint after each segment of 40 contacts: v2 is saved inside the first, so the second
    // segment is still mapped by v1 and the third by v2.
    job.checkpoint.maxEvents = PER_SEGMENT;
    // Exactly there: no pause after a checkpoint however long it took (pipelines/checkpoint-pacing.ts).
    job.checkpoint.maxShare = 1;
    let saved = false;
    const { summary, metrics } = await runJob(job, {
      // A manager's save, as it lands between two checkpoints of a running job.
      sinks: [
        {
          write: async (connection) => {
            if (saved) return;
            saved = true;
            await connection.run(`INSERT INTO reason_taxonomy_versions VALUES (2, now(), 'ana', 'merge cancel', $taxonomy)`, {
              taxonomy: JSON.stringify(parseTaxonomyYaml(REASONS_V2, 'v2')),
            });
          },
        },
      ],
    });
    expect(summary.accepted).toBe(3 * PER_SEGMENT);

    const expected = await reasonOracle(input, [
      { list: 1, version: 1 },
      { list: 1, version: 1 },
      { list: 2, version: 2 },
    ]);
    const got = await jobReasonTables(db);
    expect(got.volumes).toEqual(expected.volumes);
    expect(got.kpis).toEqual(expected.kpis);
    expect(got.unknown).toEqual(expected.unknown);
    expect(got.versions).toEqual(reasonsByVersion(1, 2));

    const counter = (await metrics.registry.getSingleMetric('pulse_reason_unknown_total')!.get()).values;
    const byChannel = Object.fromEntries(counter.map((v) => [v.labels['channel'], v.value]));
    const expectedByChannel: Record<string, number> = {};
    for (const row of expected.unknown) expectedByChannel[String(row['channel'])] = (expectedByChannel[String(row['channel'])] ?? 0) + Number(row['count']);
    expect(byChannel).toEqual(expectedByChannel);
    expect(counter.every((v) => Object.keys(v.labels).join() === 'channel')).toBe(true);
    expect((await metrics.registry.getSingleMetric('pulse_reason_taxonomy_version')!.get()).values[0]!.value).toBe(2);
  }, 180_000);

  it('without a saved reason list, codes pass through: no version on rows, nothing counted', async () => {
    const input = join(dir, 'plain.ndjson');
    writeFileSync(input, `${contactLines(0, SEGMENTS[0]!, PER_SEGMENT).join('\n')}\n`);
    const db = join(dir, 'plain.duckdb');
    await runJob(testJob({ paths: [input], db, operators: '  - type: contact_kpis\n    window_sizes: [1h]' }));
    const got = await jobReasonTables(db);
    expect(got.unknown).toEqual([]);
    expect(new Set(got.versions.map((r) => r['v']))).toEqual(new Set([null]));
    expect(got.versions.map((r) => r['reason'])).toEqual(['BILL01', 'XYZ', 'billing_dispute', 'cancel']);
  }, 180_000);
});
