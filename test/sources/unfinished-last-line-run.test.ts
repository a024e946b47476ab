import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

const T0 = Date.UTC(2026, 0, 5);

const transaction = (i: number): string =>
  JSON.stringify({ type: 'transaction', event_id: `E${i}`, ts: T0 + i * 60_000, customer_id: `c${i % 5}`, amount: 1, channel: 'web' });
const linesOf = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => transaction(from + i) + '\n').join('');

describe('pulse run over a growing export whose writer flushed mid-line', () => {
  it('counts the line cut in two once, whole, on the run after it was finished, and numbers the lines after it right', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-unfinished-line-'));
    const feed = join(dir, 'feed.ndjson');
    const config = join(dir, 'job.yaml');
    writeFileSync(
      config,
      `name: feed
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(feed)}], batch_size: 64 }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1d }]
dead_letters: { rejects_files: false }
`,
    );
    const db = join(dir, 'feed.duckdb');
    const cut = transaction(301);
    writeFileSync(feed, linesOf(1, 300) + cut.slice(0, 70));
    const first = await runPulse(['--config', config, '--db', db]);
    expect(first.code).toBe(0);
    // The job's log says what was left and why.
    expect(first.stderr).toContain(`${feed}:301: the file's last line has no newline and is not a complete JSON value`);
    // The writer finishes line 301 and writes on; line 401 is not JSON, to show where the lines are numbered.
    appendFileSync(feed, cut.slice(70) + '\n' + linesOf(302, 400) + 'not json\n');
    expect((await runPulse(['--config', config, '--db', db])).code).toBe(0);
    const [counted, dead] = await query(
      db,
      'SELECT sum(spend_count)::INTEGER AS n FROM customer_windows',
      'SELECT position, reason FROM dead_letters ORDER BY position',
    );
    expect(counted).toEqual([{ n: 400 }]);
    expect(dead).toEqual([{ position: `${feed}:401`, reason: 'invalid_json' }]);
  });
});
