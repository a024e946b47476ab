import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiAddressFile, readApiAddress } from '../../pipelines/job-api-address.js';

describe("a job's published API address", () => {
  const db = join(mkdtempSync(join(tmpdir(), 'pulse-api-address-')), 'job.duckdb');
  const publish = (pid: number): void =>
    writeFileSync(apiAddressFile(db), JSON.stringify({ url: 'http://127.0.0.1:1', pid, db, token: 'x'.repeat(43) }), { mode: 0o600 });

  it('is read while its process runs', () => {
    publish(process.pid);
    expect(readApiAddress(db)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:1' });
  });

  it('left by a job killed outright (its process gone) is removed and read as no job: the command opens the database itself', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    publish(gone);
    expect(readApiAddress(db)).toBeUndefined();
    expect(existsSync(apiAddressFile(db))).toBe(false);
  });
});
