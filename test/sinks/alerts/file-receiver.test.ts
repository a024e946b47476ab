import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import type { AppendText } from '../../../sinks/append-lines.js';
import { FileReceiver } from '../../../sinks/alerts/file.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { oneAlertNotification } from './helpers.js';

/** A full disk, made without mounting one: each write in `failing` stops after some bytes, with ENOSPC. */

const notification = (idempotencyKey: string): Notification => oneAlertNotification('archive', idempotencyKey);

/** Writes the first 40 bytes, then fails as a write on a full disk does; later calls write whole. */
function diskFullOnce(): AppendText {
  let failed = false;
  return async (file, text) => {
    if (failed) return file.appendFile(text);
    failed = true;
    await file.appendFile(text.slice(0, 40));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
}

const archivePath = (): string => join(mkdtempSync(join(tmpdir(), 'pulse-file-')), 'alerts.ndjson');

/** The idempotency keys of the file's lines; fails the test on a line that is not whole JSON. */
function keysInFile(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as { idempotencyKey: string }).idempotencyKey);
}

describe('file receiver on a full disk', () => {
  it('leaves no part of a failed line behind, so the retry writes one whole line', async () => {
    const path = archivePath();
    const receiver = new FileReceiver({ name: 'archive', path, appendText: diskFullOnce() });
    await new FileReceiver({ name: 'archive', path }).send(notification('k-1'));
    const before = readFileSync(path, 'utf8');

    const err = await receiver.send(notification('k-2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).reason).toBe('io');
    expect((err as DeliveryError).message).toBe(`cannot append to ${path}: ENOSPC: no space left on device, write`);
    expect(readFileSync(path, 'utf8')).toBe(before);

    await receiver.send(notification('k-2'));
    expect(keysInFile(path)).toEqual(['k-1', 'k-2']);
  });

  it('starts a new line after a fragment a killed process left', async () => {
    const path = archivePath();
    writeFileSync(path, `{"idempotencyKey":"k-0"}\n{"version":"4","groupKey":"{}:{queue=\\"bil`);
    await new FileReceiver({ name: 'archive', path }).send(notification('k-1'));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect((JSON.parse(lines[2]!) as { idempotencyKey: string }).idempotencyKey).toBe('k-1');
  });

  it("two receivers writing one file: one's failed line does not take the other's with it", async () => {
    const path = archivePath();
    const failing = new FileReceiver({ name: 'archive', path, appendText: diskFullOnce() });
    const other = new FileReceiver({ name: 'copy', path });
    const [failed, sent] = await Promise.allSettled([failing.send(notification('k-1')), other.send(notification('k-2'))]);
    expect(failed.status).toBe('rejected');
    expect(sent.status).toBe('fulfilled');
    await failing.send(notification('k-1'));
    expect(keysInFile(path).sort()).toEqual(['k-1', 'k-2']);
  });
});
