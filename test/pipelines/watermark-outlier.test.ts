import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { writeFixture } from '../helpers/events-fixture.js';
import { runPulse } from '../helpers/pulse-run.js';

const DAY = 86_400_000;

function job(dir: string, batchSize: number): string {
  const path = join(dir, `job-${batchSize}.yaml`);
  writeFileSync(
    path,
    `name: outlier
source: files
sources:
  files: { type: files, paths: ["unused"], batch_size: ${batchSize} }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
dead_letters: { rejects_files: false }
`,
  );
  return path;
}

const WINDOWS = `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, usage_total, contacts
                 FROM customer_windows ORDER BY ALL`;
const DEAD = `SELECT position, reason FROM dead_letters ORDER BY ALL`;

describe('a record dated far ahead of the stream (but not after the wall clock)', () => {
  it('is processed as an early event and makes no on-time event late, with 1 or 2 workers and any batch size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outlier-'));
    const clean = writeFixture(join(dir, 'clean.ndjson'), 3, 3000);
    const lines = readFileSync(clean.path, 'utf8').trimEnd().split('\n');
    // Months after the fixture's January events, and yesterday by the wall clock: plausible to the
    // `future` check, not to the stream. Inserted in the middle, after the line it replaces.
    const outlierTs = Date.now() - DAY;
    const outlier = JSON.stringify({ type: 'transaction', event_id: 'OUTLIER', ts: outlierTs, customer_id: 'C-outlier', amount: 7, channel: 'web' });
    const middle = Math.floor(lines.length / 2);
    const withOutlier = join(dir, 'outlier.ndjson');
    writeFileSync(withOutlier, [...lines.slice(0, middle), outlier, ...lines.slice(middle)].join('\n') + '\n');

    for (const [workers, batchSize] of [
      [0, 1],
      [2, 64],
    ] as const) {
      const reference = join(dir, `clean-${workers}.duckdb`);
      const tested = join(dir, `outlier-${workers}.duckdb`);
      const config = job(dir, batchSize);
      expect((await runPulse(['--config', config, '--input', clean.path, '--db', reference, '--workers', String(workers)])).code).toBe(0);
      expect((await runPulse(['--config', config, '--input', withOutlier, '--db', tested, '--workers', String(workers)])).code).toBe(0);
      const [cleanWindows, cleanDead] = await query(reference, WINDOWS, DEAD);
      const [windows, dead] = await query(tested, WINDOWS, DEAD);
      // The same records are refused (positions after the outlier are one line further on).
      const shifted = cleanDead!.map((row) => {
        const [file, line] = String(row['position']).split(':');
        return {
          position: `${file!.replace('clean.ndjson', 'outlier.ndjson')}:${Number(line) > middle ? Number(line) + 1 : Number(line)}`,
          reason: row['reason'],
        };
      });
      expect(dead).toEqual(shifted.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0)));
      expect(cleanDead!.filter((row) => row['reason'] === 'late').length).toBeGreaterThan(0);
      // Every window of the clean run, plus the outlier's own two.
      const outlierWindows = windows!.filter((row) => row['customer_id'] === 'C-outlier');
      expect(outlierWindows).toHaveLength(2);
      expect(windows!.filter((row) => row['customer_id'] !== 'C-outlier')).toEqual(cleanWindows);
    }
  }, 300_000);
});
