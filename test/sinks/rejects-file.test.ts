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
});
