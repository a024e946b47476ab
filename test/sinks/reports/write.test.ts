import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJsonFile } from '../../../sinks/reports/write.js';

describe('report files written atomically', () => {
  it('a write that fails leaves no temporary file behind (a full disk left one per refused report)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-report-write-'));
    // The rename onto the report's name fails: a directory that is not empty has that name.
    mkdirSync(join(dir, 'report.json'));
    writeFileSync(join(dir, 'report.json', 'inside'), 'x');
    // Said as a failure of that file, not a bare system error (`pulse report` printed a stack trace).
    await expect(writeJsonFile(dir, 'report.json', { a: 1 })).rejects.toMatchObject({
      code: 'SINK_FAILED',
      message: expect.stringMatching(new RegExp(`^cannot write ${join(dir, 'report.json')}: .*; check the directory and its permissions$`)) as unknown,
    });
    expect(readdirSync(dir)).toEqual(['report.json']);
    // A write that succeeds leaves the report alone.
    await writeJsonFile(dir, 'other.json', { a: 1 });
    expect(readdirSync(dir).sort()).toEqual(['other.json', 'report.json']);
  });
});
