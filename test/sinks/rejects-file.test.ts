import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../operators/events.js';
import { rejectsFilesWriter } from '../../sinks/rejects-file.js';

const rejection = (partition: string, offset: number): Rejection => ({
  position: { source: 'files', partition, offset },
  reason: 'invalid_json',
  detail: 'not valid JSON',
  type: 'unknown',
  raw: '{oops',
});

describe('rejects files beside the inputs', () => {
  it('are appended per input; one that cannot be written is told once and left out, the others still written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-rejects-'));
    const told: string[] = [];
    const append = rejectsFilesWriter((path, error) => told.push(`${path} ${(error as NodeJS.ErrnoException).code}`));
    // /sys refuses new files even to root: an input on a read-only share, as a user has it.
    const readOnly = '/sys/events.ndjson';
    await append([rejection(join(dir, 'events.ndjson'), 3), rejection(readOnly, 7)]);
    await append([rejection(join(dir, 'events.ndjson'), 9), rejection(readOnly, 8)]);
    // EACCES on a host, EROFS where /sys is mounted read-only (a container): either is an unwritable place.
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^\/sys\/events\.rejects\.ndjson (EACCES|EROFS|EPERM)$/);
    const lines = readFileSync(join(dir, 'events.rejects.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([3, 9]);
  });

  it('on a full disk: the failed append is cut back, told once with the first record missed, and the run goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-rejects-full-'));
    const told: string[] = [];
    // The second append stops after 30 bytes with ENOSPC, as a full disk does (it threw before, and the run died with a stack trace).
    let appends = 0;
    const append = rejectsFilesWriter(
      (path, error, first) => told.push(`${path} ${(error as NodeJS.ErrnoException).code} line ${first.position.offset}`),
      async (file, text) => {
        if (++appends !== 2) return file.appendFile(text);
        await file.appendFile(text.slice(0, 30));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    );
    const input = join(dir, 'events.ndjson');
    await append([rejection(input, 3)]);
    await append([rejection(input, 9), rejection(input, 12)]);
    await append([rejection(input, 20)]);
    const path = join(dir, 'events.rejects.ndjson');
    expect(told).toEqual([`${path} ENOSPC line 9`]);
    // Whole lines only: the fragment of the failed append is gone.
    expect(readFileSync(path, 'utf8')).toBe(
      `${JSON.stringify({ line: 3, reason: 'invalid_json', detail: 'not valid JSON', type: 'unknown', raw: '{oops' })}\n`,
    );
  });
});
