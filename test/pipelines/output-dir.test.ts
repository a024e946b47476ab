import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../operators/errors.js';
import { checkOutputDir } from '../../pipelines/output-dir.js';
import { runPulse } from '../helpers/pulse-run.js';

describe('output directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-output-dir-'));
  const file = join(dir, 'run.log');
  writeFileSync(file, 'a log, not a directory\n');

  it('a file, or a path through one, is refused as a usage error; a missing directory is fine (it is created)', () => {
    expect(() => checkOutputDir('--out', file)).toThrow(UsageError);
    expect(() => checkOutputDir('--out', file)).toThrow(`--out ${file} is a file, not a directory; give a directory (it is created when missing)`);
    expect(() => checkOutputDir('--reports', join(file, 'reports'))).toThrow(`is inside ${file}, which is a file`);
    expect(() => checkOutputDir('--out', join(dir, 'new', 'reports'))).not.toThrow();
    expect(() => checkOutputDir('--out', dir)).not.toThrow();
  });

  it('pulse run --reports FILE exits 2 before anything is opened (it ran to its end with every report failing, exit 0)', async () => {
    const db = join(dir, 'job.duckdb');
    const result = await runPulse(['--config', 'pipelines/customer-analytics.yaml', '--input', 'samples/events.ndjson', '--db', db, '--reports', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--reports ${file} is a file, not a directory`);
    expect(existsSync(db)).toBe(false);
  });
});
