import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { claimedEventTime } from '../../operators/claimed-time.js';
import { FileSource } from '../../sources/files.js';
import type { PartitionPosition, SourceMessage } from '../../sources/source.js';

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
    // Neither input's records claim a time: the file goes first, as the first path.
    expect(out.map(describeMessage)).toEqual([`next:${file}`, 'next:stdin', `${file}:2`, `end:${file}`, 'stdin:1']);
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

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

/** Writes a file of `count` usage records, the i-th at `timeOf(i)`; returns its path. */
function timedFile(dir: string, name: string, count: number, timeOf: (i: number) => number): string {
  const path = join(dir, name);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ type: 'usage', event_id: `${name}-${i}`, ts: timeOf(i), customer_id: 'c', metric: 'm', quantity: 1 }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function timedSource(paths: string[]): FileSource {
  return new FileSource({ name: 'files', paths, batchSize: 2, maxRecordBytes: 1024, lingerMs: 20, timeOf: claimedEventTime });
}

async function readAll(files: FileSource, from: ReadonlyMap<string, PartitionPosition> = new Map()): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  await drain(files.read(from, new AbortController().signal), out);
  return out;
}

/** Each record batch as `file:first event id`, in the order read. */
const batchOrder = (messages: readonly SourceMessage[]): string[] =>
  messages.flatMap((m) => (m.kind === 'records' ? [`${String((JSON.parse(m.records[0]!.value as string) as { event_id: string }).event_id)}`] : []));

describe('FileSource with several files', () => {
  it('reads daily files one after the other in event-time order, whatever order they are given in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const days = [2, 0, 1].map((d) => timedFile(dir, `day${d}`, 4, (i) => T0 + d * 24 * HOUR + i * HOUR));
    const out = await readAll(timedSource(days));
    expect(batchOrder(out)).toEqual(['day0-0', 'day0-2', 'day1-0', 'day1-2', 'day2-0', 'day2-2']);
    // Each waiting file says where it starts before anything is read, so it holds the watermark from there.
    expect(out.slice(0, 3)).toEqual([
      { kind: 'next', partition: days[0], eventTime: T0 + 48 * HOUR },
      { kind: 'next', partition: days[1], eventTime: T0 },
      { kind: 'next', partition: days[2], eventTime: T0 + 24 * HOUR },
    ]);
    // A file's end comes after its last batch, before the next file's first.
    expect(out.findIndex((m) => m.kind === 'end' && m.partition === days[1])).toBeLessThan(
      out.findIndex((m) => m.kind === 'records' && m.partition === days[2]),
    );
  });

  it('keeps files split by event type together in event time, a sparse one beside a dense one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const dense = timedFile(dir, 'dense', 8, (i) => T0 + i * HOUR);
    // Batches start at 0, 2, 4, 6 h (dense) and 0:30, 4:30 (sparse).
    const sparse = timedFile(dir, 'sparse', 4, (i) => T0 + 30 * 60_000 + i * 2 * HOUR);
    expect(batchOrder(await readAll(timedSource([dense, sparse])))).toEqual(['dense-0', 'sparse-0', 'dense-2', 'dense-4', 'sparse-2', 'dense-6']);
  });

  it("orders a contacts file by its contacts' queued_at (they need no ts)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const usage = timedFile(dir, 'usage', 4, (i) => T0 + i * HOUR);
    const contacts = join(dir, 'contacts');
    const contact = (i: number): string =>
      JSON.stringify({ type: 'contact', event_id: `contacts-${i}`, queued_at: new Date(T0 + 30 * 60_000 + i * 2 * HOUR).toISOString(), contact_id: `k${i}` });
    writeFileSync(contacts, [0, 1, 2, 3].map(contact).join('\n') + '\n');
    // Batches start at 0, 2 h (usage) and 0:30, 4:30 (contacts): without a time, contacts went first, all of them.
    expect(batchOrder(await readAll(timedSource([contacts, usage])))).toEqual(['usage-0', 'contacts-0', 'usage-2', 'contacts-2']);
  });

  it("starts a file's first batch at its earliest record, whatever order its lines are in: that is where the file holds the watermark from", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const sparse = timedFile(dir, 'sparse', 5, (i) => T0 + [10, 15, 20, 0, 25][i]! * HOUR);
    writeFileSync(sparse, '{"type":"transaction","event_id":"cut off\n' + readFileSync(sparse, 'utf8'));
    const files = new FileSource({
      name: 'files',
      paths: [sparse, timedFile(dir, 'dense', 2, () => T0)],
      batchSize: 6,
      maxRecordBytes: 1024,
      lingerMs: 20,
      timeOf: claimedEventTime,
    });
    // Not in time order, and cut off at its start: its first three times, middle and last line claim 10 h at the earliest.
    expect((await readAll(files))[0]).toEqual({ kind: 'next', partition: sparse, eventTime: T0 });
  });

  it('orders a batch by the earliest of its first, middle and last record: one record dated years ahead does not send its file to the back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const early = timedFile(dir, 'early', 2, (i) => (i === 0 ? Date.UTC(2031, 0, 1) : T0 + HOUR));
    const late = timedFile(dir, 'late', 2, (i) => T0 + 5 * HOUR + i);
    expect(batchOrder(await readAll(timedSource([late, early])))).toEqual(['early-0', 'late-0']);
  });

  it('stops with the file named when a file waiting for its turn was moved or deleted meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const today = timedFile(dir, 'today', 2, (i) => T0 + i * HOUR);
    const tomorrow = timedFile(dir, 'tomorrow', 2, (i) => T0 + 24 * HOUR + i * HOUR);
    const read = async (): Promise<void> => {
      for await (const message of timedSource([today, tomorrow]).read(new Map(), new AbortController().signal)) {
        if (message.kind === 'records') rmSync(tomorrow, { force: true });
      }
    };
    await expect(read()).rejects.toThrow(`${tomorrow} was moved or deleted while the job waited for its turn to read it`);
  });

  it('after a restart at any checkpointed positions, reads on in the order of an uninterrupted read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const paths = [
      timedFile(dir, 'a', 7, (i) => T0 + i * 3 * HOUR),
      timedFile(dir, 'b', 9, (i) => T0 + i * 2 * HOUR + 1),
      timedFile(dir, 'c', 5, (i) => T0 + 10 * HOUR + i * HOUR),
    ];
    const whole = (await readAll(timedSource(paths))).filter((m) => m.kind === 'records');
    for (let done = 1; done < whole.length; done++) {
      const positions = new Map<string, PartitionPosition>();
      for (const batch of whole.slice(0, done)) if (batch.kind === 'records') positions.set(batch.partition, batch.position);
      const rest = (await readAll(timedSource(paths), positions)).filter((m) => m.kind === 'records');
      expect(batchOrder(rest), `restart after ${done} batches`).toEqual(batchOrder(whole.slice(done)));
    }
  });
});

describe('FileSource resuming a file', () => {
  /** A usage record padded to about 130 bytes: a thousand make a file longer than the 64 KiB its fingerprint covers. */
  const record = (i: number): string =>
    JSON.stringify({ type: 'usage', event_id: `E${i}`, ts: T0 + i * 1000, customer_id: 'C1', metric: 'minutes', quantity: 1, note: 'x'.repeat(40) });
  const linesOf = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => record(from + i) + '\n').join('');

  /** The records a read gives (as `line:event id`), where it would checkpoint, and the warnings it gave. */
  async function readFrom(path: string, from?: PartitionPosition): Promise<{ records: string[]; position: PartitionPosition | undefined; warnings: string[] }> {
    const warnings: string[] = [];
    const files = new FileSource({ name: 'files', paths: [path], batchSize: 64, maxRecordBytes: 1024, lingerMs: 20, onWarning: (m) => warnings.push(m) });
    const batches = (await readAll(files, new Map(from === undefined ? [] : [[path, from]]))).flatMap((m) => (m.kind === 'records' ? [m] : []));
    const records = batches.flatMap((b) => b.records.map((r) => `${r.offset}:${(JSON.parse(r.value as string) as { event_id: string }).event_id}`));
    return { records, position: batches.at(-1)?.position, warnings };
  }
  const lineIds = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}:E${from + i}`);

  it('reads a file shorter than where it stopped from its start, with a warning, though it starts with the same bytes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pulse-files-')), 'export.ndjson');
    writeFileSync(path, linesOf(1, 1000));
    const { position } = await readFrom(path);
    expect(position!.resume).toBe(readFileSync(path).length);
    // Truncated to its first 700 lines (more than 64 KiB), then refilled with 100 new ones: still shorter.
    writeFileSync(path, linesOf(1, 700) + linesOf(5001, 5100));
    const size = readFileSync(path).length;
    const again = await readFrom(path, position);
    expect(again.records).toEqual([...lineIds(1, 700), ...Array.from({ length: 100 }, (_, i) => `${701 + i}:E${5001 + i}`)]);
    expect(again.warnings).toEqual([
      `${path} is ${size} bytes, shorter than the ${position!.resume} bytes the last run read of it: it was truncated or replaced, ` +
        'and is read from its start; the records in it that were counted before are refused (as duplicates by their event id, or as late)',
    ]);
    // A checkpoint from before fingerprints were kept: the same.
    const { fingerprint: _, ...unprinted } = position!;
    expect((await readFrom(path, unprinted)).records).toHaveLength(800);
  });

  it('goes on where it stopped in a file that is unchanged or grew, without a warning', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pulse-files-')), 'export.ndjson');
    writeFileSync(path, linesOf(1, 1000));
    const { position } = await readFrom(path);
    expect(await readFrom(path, position)).toEqual({ records: [], position: undefined, warnings: [] });
    appendFileSync(path, linesOf(1001, 1010));
    const grown = await readFrom(path, position);
    expect(grown.records).toEqual(lineIds(1001, 1010));
    expect(grown.warnings).toEqual([]);
  });

  it("reads a file's unfinished last line once, whole, after the writer finished it, and warns of it once among several files", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-'));
    const [feed, other] = [join(dir, 'feed.ndjson'), join(dir, 'other.ndjson')];
    const line = record(11);
    writeFileSync(feed, linesOf(1, 10) + line.slice(0, 70));
    writeFileSync(other, linesOf(2001, 2003));
    const warnings: string[] = [];
    const files = (): FileSource =>
      new FileSource({ name: 'files', paths: [feed, other], batchSize: 64, maxRecordBytes: 1024, lingerMs: 20, onWarning: (m) => warnings.push(m) });
    const first = await readAll(files());
    const positions = new Map<string, PartitionPosition>();
    for (const m of first) if (m.kind === 'records') positions.set(m.partition, m.position);
    // The file waited for its turn after a first look at its batch: it is read twice, and said once.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(`${feed}:11: the file's last line has no newline and is not a complete JSON value`);
    appendFileSync(feed, line.slice(70) + '\n' + linesOf(12, 13));
    const second = (await readAll(files(), positions)).flatMap((m) => (m.kind === 'records' ? m.records : []));
    expect(second.map((r) => `${r.offset}:${r.value as string}`)).toEqual([11, 12, 13].map((i) => `${i}:${record(i)}`));
    expect(warnings).toHaveLength(1);
  });
});
