import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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

  it('a directory this user cannot write in is refused, and the check leaves nothing behind', () => {
    // /sys refuses new entries even to root, whose `access` check it passes (a read-only share, as a user has it).
    expect(() => checkOutputDir('--reports', '/sys/reports')).toThrow(
      /^--reports \/sys\/reports: \/sys, where it would be created, (cannot be written by this user \((EPERM|EACCES)\)|is on a read-only file system); give a directory this job can write$/,
    );
    checkOutputDir('--reports', dir);
    expect(readdirSync(dir).filter((name) => name.startsWith('.pulse-write-check-'))).toEqual([]);
  });

  it('pulse run --reports FILE exits 2 before anything is opened (it ran to its end with every report failing, exit 0)', async () => {
    const db = join(dir, 'job.duckdb');
    const result = await runPulse(['--config', 'pipelines/customer-analytics.yaml', '--input', 'samples/events.ndjson', '--db', db, '--reports', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--reports ${file} is a file, not a directory`);
    expect(existsSync(db)).toBe(false);
  });
});
