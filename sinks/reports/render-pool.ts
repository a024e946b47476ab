import type { ReportWriter } from './render-thread.js';
import type { PreparedReport } from './write.js';

/**
 * Renders on up to `threads` report writers at once (each a worker thread): at the end of a file
 * input thousands of reports may be pending, and one thread leaves the other cores idle. A write
 * waits for a free writer; writers are handed out last-freed first, so a caller that never has two
 * reports in flight keeps using one writer and starts no other worker thread.
 */
export class ReportWriterPool implements ReportWriter {
  readonly threads: number;
  private readonly idle: ReportWriter[];
  private readonly waiting: Array<(writer: ReportWriter) => void> = [];

  constructor(private readonly writers: readonly ReportWriter[]) {
    if (writers.length === 0) throw new Error('a report writer pool needs at least one writer');
    this.threads = writers.length;
    // Reversed: `pop()` hands out the first writer first.
    this.idle = [...writers].reverse();
  }

  async write(report: PreparedReport, outDir: string): Promise<void> {
    const writer = this.idle.pop() ?? (await new Promise<ReportWriter>((resolve) => this.waiting.push(resolve)));
    try {
      await writer.write(report, outDir);
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.idle.push(writer);
      else next(writer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.close()));
  }
}
