import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { CLI } from './kafka-helpers.js';

/**
 * Issue 18 item 2: records that stopped the job at the same place on every rerun (a schema-valid
 * record nesting 5,000 arrays, which overflowed the decode worker's stack; a leap second, which
 * became NaN and failed the checkpoint; a line of megabytes) are dead-lettered through the real
 * CLI, with a decode worker and without, and the run goes on; a rerun is a no-op that exits 0.
 */

const T0 = Date.UTC(2026, 0, 5, 10);
const tx = (id: string, ts: number | string, amount: number, extra = ''): string =>
  JSON.stringify({ type: 'transaction', event_id: id, ts, customer_id: 'C1', amount, channel: 'web' }).replace(/}$/, `${extra}}`);

describe('poison records through pulse run', () => {
  it('are dead-lettered with their reasons by the decode worker and on the main thread alike; valid records count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-poison-'));
    const input = join(dir, 'events.ndjson');
    const lines = [
      tx('a', T0, 10),
      tx('deep', T0 + 60_000, 1, `,"extra":${'['.repeat(5000)}${']'.repeat(5000)}`),
      tx('b', T0 + 120_000, 20),
      tx('leap', '2026-01-05T10:59:60Z', 1),
      tx('big', T0 + 180_000, 1, `,"pad":"${'x'.repeat(3 * 1024 * 1024)}"`),
      tx('c', new Date(T0 + 240_000).toISOString(), 12.5),
    ];
    writeFileSync(input, lines.join('\n') + '\n');
    const results = [];
    for (const decode of ['', 'workers: 0']) {
      const config = join(dir, `job-${results.length}.yaml`);
      writeFileSync(
        config,
        `name: poison\nsource: files\nsources:\n  files: { type: files, paths: [${JSON.stringify(input)}] }\noperators:\n  - type: customer_windows\n    windows: [{ size: 1d }]\ndead_letters: { rejects_files: false }\n${decode}\n`,
      );
      const db = join(dir, `run-${results.length}.duckdb`);
      for (const attempt of ['first run', 'rerun']) {
        const run = spawnSync(process.execPath, [CLI, 'run', '--config', config, '--db', db], { encoding: 'utf8', timeout: 120_000 });
        expect(run.status, `${attempt}: ${run.stderr}`).toBe(0);
      }
      results.push(
        await query(
          db,
          'SELECT position, reason, detail, length(raw) AS raw_bytes FROM dead_letters ORDER BY position',
          'SELECT spend_total, spend_count FROM customer_windows',
        ),
      );
    }
    const [worker, mainThread] = results as [Array<Array<Record<string, unknown>>>, Array<Array<Record<string, unknown>>>];
    expect(worker).toEqual(mainThread);
    const [letters, windows] = worker;
    expect(letters!.map((l) => [String(l['position']).split(':').pop(), l['reason']])).toEqual([
      ['2', 'too_large'],
      ['4', 'impossible_value'],
      ['5', 'too_large'],
    ]);
    expect(String(letters![0]!['detail'])).toMatch(/nest more than 64 levels deep/);
    expect(String(letters![1]!['detail'])).toMatch(/leap second/);
    expect(String(letters![2]!['detail'])).toMatch(/more than limits\.max_record_bytes \(1048576\)/);
    expect(Number(letters![2]!['raw_bytes'])).toBe(1024);
    expect(windows).toEqual([{ spend_total: 42.5, spend_count: 3n }]);
  }, 300_000);
});
