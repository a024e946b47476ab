import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SinkError } from '../../operators/errors.js';
import { ReportWriterPool } from './render-pool.js';
import type { PreparedReport } from './write.js';
import { writePreparedReport } from './write.js';

/** Renders prepared reports (charts, HTML, Markdown) and writes their files into `outDir`. */
export interface ReportWriter {
  write(report: PreparedReport, outDir: string): Promise<void>;
  close(): Promise<void>;
  /** How many reports it renders at once (1 when unset): more concurrent writes wait their turn. */
  readonly threads?: number;
}

/** Main thread -> report worker. */
export interface RenderTask {
  id: number;
  report: PreparedReport;
  outDir: string;
}

/** Report worker -> main thread: `error` says why the task failed. */
export interface RenderOutcome {
  id: number;
  error?: string;
}

/**
 * The report writer of a job: `threads` worker threads (`render-worker.js`), each started at its
 * first report, when the worker is compiled beside this module, else this thread. Under vitest this
 * module runs from its .ts source and Node 20 cannot start a worker from TypeScript; tests build a
 * `WorkerReportWriter` on the worker in `dist`.
 */
export function reportWriter(threads: number): ReportWriter {
  const workerUrl = compiledWorkerUrl();
  if (workerUrl === undefined) return IN_THREAD_WRITER;
  return new ReportWriterPool(Array.from({ length: threads }, () => new WorkerReportWriter(workerUrl)));
}

/** Renders on the calling thread (`pulse report`, and jobs run from TypeScript sources). */
export const IN_THREAD_WRITER: ReportWriter = {
  write: async (report, outDir) => {
    await writePreparedReport(report, outDir);
  },
  close: async () => undefined,
};

function compiledWorkerUrl(): URL | undefined {
  const url = new URL('./render-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

interface Pending {
  id: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Renders on one worker thread, one report at a time, started at the first report. A worker that
 * dies fails the report it was rendering; the next report starts a new one.
 */
export class WorkerReportWriter implements ReportWriter {
  private worker: Worker | undefined;
  private pending: Pending | undefined;
  private nextId = 0;

  constructor(private readonly url: URL) {}

  write(report: PreparedReport, outDir: string): Promise<void> {
    if (this.pending !== undefined) return Promise.reject(new Error('the report worker renders one report at a time'));
    const worker = this.started();
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending = { id, resolve, reject };
    });
    worker.ref();
    const task: RenderTask = { id, report, outDir };
    worker.postMessage(task);
    return done;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.settle(new SinkError('the report worker was closed before it finished the report'));
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(this.url);
    worker.on('message', (outcome: RenderOutcome) => {
      if (outcome.id !== this.pending?.id) return;
      this.settle(outcome.error === undefined ? undefined : new SinkError(outcome.error));
    });
    const lost = (what: string): void => {
      if (this.worker === worker) this.worker = undefined;
      this.settle(new SinkError(`the report worker ${what}`));
    };
    worker.on('error', (error: Error) => lost(`threw: ${error.message}`));
    worker.on('messageerror', (error: Error) => lost(`sent a message that cannot be read: ${error.message}`));
    worker.on('exit', (code: number) => lost(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Ends the report in progress, if any; an idle worker never keeps the process alive. */
  private settle(error: Error | undefined): void {
    const pending = this.pending;
    this.pending = undefined;
    this.worker?.unref();
    if (pending === undefined) return;
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}
