import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReportDocument } from '../../../sinks/reports/document.js';
import { ReportWriterPool } from '../../../sinks/reports/render-pool.js';
import { IN_THREAD_WRITER, WorkerReportWriter } from '../../../sinks/reports/render-thread.js';
import type { PreparedReport } from '../../../sinks/reports/write.js';

const DIST = join(process.cwd(), 'dist/sinks/reports');
const DIST_WORKER = pathToFileURL(join(DIST, 'render-worker.js'));

function report(baseName: string, data?: unknown): PreparedReport {
  const doc: ReportDocument = {
    title: 'Abandon rate <billing>',
    generatedAt: new Date('2026-02-01T00:00:00Z'),
    blocks: [
      { type: 'notice', level: 'alert', title: 'Alert BillingAbandonRateHigh (critical, firing)', text: 'abandon_rate > 0.08' },
      {
        type: 'chart',
        title: 'abandon rate',
        alt: 'two windows',
        spec: {
          data: {
            values: [
              { t: 0, v: 0.05 },
              { t: 900_000, v: 0.12 },
            ],
          },
          mark: { type: 'line', point: true },
          encoding: { x: { field: 't', type: 'temporal' }, y: { field: 'v', type: 'quantitative' }, tooltip: [{ field: 'v', type: 'quantitative' }] },
        },
      },
    ],
  };
  return data === undefined ? { doc, baseName } : { doc, baseName, data };
}

const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );

/** Nice values of this process's threads (field 19 of /proc/self/task/TID/stat), by thread id. */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nice.set(Number(tid), Number(fields[16]));
  }
  return nice;
}

describe('WorkerReportWriter', () => {
  it.runIf(existsSync('/proc/thread-self'))('renders on a thread at the lowest priority, leaving the others as they were', async () => {
    const before = threadNiceValues();
    const writer = new WorkerReportWriter(DIST_WORKER);
    try {
      await writer.write(report('kpi-nice'), mkdtempSync(join(tmpdir(), 'pulse-render-nice-')));
      const after = threadNiceValues();
      const lowered = [...after].filter(([tid, nice]) => nice === 19 && !before.has(tid));
      expect(lowered).toHaveLength(1);
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
    } finally {
      await writer.close();
    }
  });

  it('writes on the worker thread exactly the files this thread writes', async () => {
    if (!existsSync(DIST_WORKER)) throw new Error('dist/sinks/reports/render-worker.js is missing: run `npx tsc -p tsconfig.json` first');
    const dir = mkdtempSync(join(tmpdir(), 'pulse-render-thread-'));
    const writer = new WorkerReportWriter(DIST_WORKER);
    try {
      await writer.write(report('kpi-a', { n: 1 }), join(dir, 'worker'));
      await writer.write(report('kpi-b'), join(dir, 'worker'));
    } finally {
      await writer.close();
    }
    await IN_THREAD_WRITER.write(report('kpi-a', { n: 1 }), join(dir, 'here'));
    await IN_THREAD_WRITER.write(report('kpi-b'), join(dir, 'here'));
    const worker = files(join(dir, 'worker'));
    // html, md and json of kpi-a, html and md of kpi-b; no temporary file is left behind.
    expect(Object.keys(worker)).toEqual(['kpi-a.html', 'kpi-a.json', 'kpi-a.md', 'kpi-b.html', 'kpi-b.md']);
    expect(worker['kpi-a.html']).toContain('<svg');
    expect(worker).toEqual(files(join(dir, 'here')));
  });

  it('fails the report a worker dies on, then starts a new worker for the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-render-thread-'));
    // Dies on a report named "die"; renders the others with the real writer.
    const dying = join(dir, 'dying.mjs');
    writeFileSync(
      dying,
      `import { parentPort } from 'node:worker_threads';
import { writePreparedReport } from ${JSON.stringify(pathToFileURL(join(DIST, 'write.js')).href)};
parentPort.on('message', async (task) => {
  if (task.report.baseName === 'die') process.exit(3);
  await writePreparedReport(task.report, task.outDir);
  parentPort.postMessage({ id: task.id });
});
`,
    );
    const writer = new WorkerReportWriter(pathToFileURL(dying));
    try {
      await expect(writer.write(report('die'), dir)).rejects.toThrow(/the report worker exited with code 3/);
      await writer.write(report('after'), dir);
    } finally {
      await writer.close();
    }
    expect(readFileSync(join(dir, 'after.html'), 'utf8')).toContain('<svg');
  });

  it('passes on the error of a report that cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-render-thread-'));
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, '');
    const writer = new WorkerReportWriter(DIST_WORKER);
    try {
      await expect(writer.write(report('x'), join(notADirectory, 'reports'))).rejects.toThrow(/ENOTDIR/);
    } finally {
      await writer.close();
    }
  });
});

describe('a pool of report workers', () => {
  it('writes, with reports in flight on two worker threads at once, exactly the files this thread writes', async () => {
    if (!existsSync(DIST_WORKER)) throw new Error('dist/sinks/reports/render-worker.js is missing: run `npx tsc -p tsconfig.json` first');
    const dir = mkdtempSync(join(tmpdir(), 'pulse-render-pool-'));
    const reports = Array.from({ length: 6 }, (_, i) => report(`kpi-${i}`, i % 2 === 0 ? { n: i } : undefined));
    const pool = new ReportWriterPool([new WorkerReportWriter(DIST_WORKER), new WorkerReportWriter(DIST_WORKER)]);
    try {
      await Promise.all(reports.map((r) => pool.write(r, join(dir, 'pool'))));
    } finally {
      await pool.close();
    }
    for (const r of reports) await IN_THREAD_WRITER.write(r, join(dir, 'here'));
    const pooled = files(join(dir, 'pool'));
    expect(Object.keys(pooled)).toHaveLength(15);
    expect(pooled).toEqual(files(join(dir, 'here')));
  });
});
