import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../sources/files.js';
import type { SourceMessage } from '../../sources/source.js';

function source(paths: string[], stdin: PassThrough): FileSource {
  return new FileSource({ name: 'files', paths, batchSize: 2, maxRecordBytes: 1024, lingerMs: 20, stdin });
}

/** Collects messages until the iteration ends. */
async function drain(messages: AsyncIterable<SourceMessage>, out: SourceMessage[]): Promise<void> {
  for await (const message of messages) out.push(message);
}

const describeMessage = (m: SourceMessage): string =>
  m.kind === 'records' ? `${m.partition}:${m.records.length}` : `${m.kind}:${'partition' in m ? m.partition : ''}`;

describe('FileSource with stdin', () => {
  it('ends a file with `end`, but a stopped stdin without it (it has not ended), and lets go of stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, '{"n":1}\n{"n":2}\n');
    const stdin = new PassThrough();
    const abort = new AbortController();
    const out: SourceMessage[] = [];
    const done = drain(source([file, '-'], stdin).read(new Map(), abort.signal), out);
    stdin.write('{"s":1}\n');
    // stdin's partial batch arrives after its linger while the pipe stays open; then the file ends.
    while (!out.some((m) => m.kind === 'end')) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    await done;
    expect(out.map(describeMessage)).toEqual([`${file}:2`, 'stdin:1', `end:${file}`]);
    expect(stdin.destroyed).toBe(true);
  });

  it('close() ends a read waiting on stdin when the job fails (no signal), so the process can exit', async () => {
    const stdin = new PassThrough();
    const files = source(['-'], stdin);
    const out: SourceMessage[] = [];
    const done = drain(files.read(new Map(), new AbortController().signal), out);
    stdin.write('{"s":1}\n{"s":2}\n');
    while (out.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await files.close();
    await done;
    expect(out.map(describeMessage)).toEqual(['stdin:2']);
    expect(stdin.destroyed).toBe(true);
  });
});
