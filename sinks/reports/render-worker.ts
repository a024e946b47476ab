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
