import { describe, expect, it } from 'vitest';
import { ReportWriterPool } from '../../../sinks/reports/render-pool.js';
import type { ReportWriter } from '../../../sinks/reports/render-thread.js';
import type { PreparedReport } from '../../../sinks/reports/write.js';

/** A writer that records which reports it was given and finishes each when the test says so. */
class HeldWriter implements ReportWriter {
  readonly names: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;
  private readonly releases: Array<(error?: Error) => void> = [];

  write(report: PreparedReport): Promise<void> {
    this.names.push(report.baseName);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return new Promise<void>((resolve, reject) => this.releases.push((error) => (error === undefined ? resolve() : reject(error)))).finally(
      () => this.inFlight--,
    );
  }

  /** Finishes the oldest report in progress, with `error` if given. */
  finish(error?: Error): void {
    this.releases.shift()!(error);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const report = (baseName: string): PreparedReport => ({ doc: { title: baseName, generatedAt: new Date(0), blocks: [] }, baseName });

/** Lets pending promise callbacks run (the pool hands a freed writer on in a `finally`). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ReportWriterPool', () => {
  it('renders as many reports at once as it has writers, one per writer; the next waits for a free one', async () => {
    const [a, b] = [new HeldWriter(), new HeldWriter()];
    const pool = new ReportWriterPool([a, b]);
    expect(pool.threads).toBe(2);
    const writes = ['r1', 'r2', 'r3'].map((name) => pool.write(report(name), '/unused'));
    await settle();
    expect([a.names, b.names]).toEqual([['r1'], ['r2']]);
    b.finish();
    await settle();
    // r3 went to the writer that was freed, not to a third report on a busy one.
    expect([a.names, b.names]).toEqual([['r1'], ['r2', 'r3']]);
    a.finish();
    b.finish();
    await Promise.all(writes);
    expect([a.maxInFlight, b.maxInFlight]).toEqual([1, 1]);
  });

  it('keeps using the first writer when reports come one at a time (no other worker thread is started)', async () => {
    const [a, b] = [new HeldWriter(), new HeldWriter()];
    const pool = new ReportWriterPool([a, b]);
    for (const name of ['r1', 'r2', 'r3']) {
      const write = pool.write(report(name), '/unused');
      await settle();
      a.finish();
      await write;
    }
    expect([a.names, b.names]).toEqual([['r1', 'r2', 'r3'], []]);
  });

  it('passes on a failed report and frees its writer for the next', async () => {
    const a = new HeldWriter();
    const pool = new ReportWriterPool([a]);
    const failing = pool.write(report('bad'), '/unused');
    const next = pool.write(report('good'), '/unused');
    await settle();
    a.finish(new Error('disk full'));
    await expect(failing).rejects.toThrow('disk full');
    await settle();
    a.finish();
    await next;
    expect(a.names).toEqual(['bad', 'good']);
  });

  it('closes every writer', async () => {
    const writers = [new HeldWriter(), new HeldWriter(), new HeldWriter()];
    await new ReportWriterPool(writers).close();
    expect(writers.map((w) => w.closed)).toEqual([true, true, true]);
  });
});
