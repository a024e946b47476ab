import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { RenderTask, RenderOutcome } from './render-thread.js';
import { writePreparedReport } from './write.js';

/**
 * Worker-thread entry of `WorkerReportWriter` (render-thread.ts): renders a prepared report
 * (Vega charts, HTML, Markdown) and writes its files atomically, off the thread that processes
 * events. It reads no database and keeps nothing but Vega's parsed chart shapes between tasks.
 */
const port = parentPort;
if (port === null) throw new Error('sinks/reports/render-worker.js is a worker-thread entry; it cannot run as a script');

yieldToTheJob();

port.on('message', (task: RenderTask) => {
  writePreparedReport(task.report, task.outDir).then(
    () => port.postMessage({ id: task.id } satisfies RenderOutcome),
    (error: unknown) => port.postMessage({ id: task.id, error: describe(error) } satisfies RenderOutcome),
  );
});

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? error.message : `${error.message} (${code})`;
}

/**
 * Rendering runs at the lowest scheduling priority, so that a backlog of reports (an alert storm)
 * takes only the CPU that the job's threads and DuckDB leave: at the job's priority, the render
 * threads competed with the shards and the final checkpoint for the same cores (issue 13: reports
 * never slow the stream). Linux keeps a nice value per thread, set through the thread's id
 * (`/proc/thread-self`). Best effort: elsewhere, or where the system refuses, the thread keeps the
 * process's priority and renders as before, rather than failing every report.
 */
function yieldToTheJob(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, constants.priority.PRIORITY_LOW);
  } catch {
    // Not Linux, or not allowed: the job's priority.
  }
}
