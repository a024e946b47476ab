import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { SinkError } from '../../operators/errors.js';
import type { ReportDocument } from './document.js';
import { renderChartSvg } from './chart.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export interface ReportPaths {
  htmlPath: string;
  markdownPath: string;
}

/**
 * A report whose data has been read: all that is left is rendering (charts, HTML, Markdown) and
 * writing, which needs no database, so it can be done on another thread (the report worker).
 * Plain data only, so it can be posted to a worker.
 */
export interface PreparedReport {
  doc: ReportDocument;
  /** File name without extension. */
  baseName: string;
  /** The numbers behind the report, written beside it as `<baseName>.json` when set. */
  data?: unknown;
}

/** Renders the document's charts and returns the HTML page and the Markdown summary. */
export async function renderReport(doc: ReportDocument, htmlFileName: string): Promise<{ html: string; markdown: string }> {
  const svgs: string[] = [];
  for (const block of doc.blocks) if (block.type === 'chart') svgs.push(await renderChartSvg(block.spec));
  return { html: renderHtml(doc, svgs), markdown: renderMarkdown(doc, htmlFileName) };
}

/**
 * Writes `<baseName>.html` and `<baseName>.md` into `outDir` (created if missing). Each file is
 * written to a temporary name and renamed, so a reader never sees half a report.
 */
export async function writeReport(doc: ReportDocument, outDir: string, baseName: string): Promise<ReportPaths> {
  const htmlName = `${baseName}.html`;
  const { html, markdown } = await renderReport(doc, htmlName);
  const htmlPath = join(outDir, htmlName);
  const markdownPath = join(outDir, `${baseName}.md`);
  await atomicWrite(htmlPath, html);
  await atomicWrite(markdownPath, markdown);
  return { htmlPath, markdownPath };
}

/** Renders a prepared report and writes its files into `outDir`, each atomically. */
export async function writePreparedReport(report: PreparedReport, outDir: string): Promise<ReportPaths & { jsonPath?: string }> {
  const paths = await writeReport(report.doc, outDir, report.baseName);
  if (report.data === undefined) return paths;
  return { ...paths, jsonPath: await writeJsonFile(outDir, `${report.baseName}.json`, report.data) };
}

/** Writes `value` as pretty JSON to `outDir/fileName` (atomically, as the reports) and returns the path. */
export async function writeJsonFile(outDir: string, fileName: string, value: unknown): Promise<string> {
  const path = join(outDir, fileName);
  await atomicWrite(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

async function atomicWrite(path: string, content: string): Promise<void> {
  // Unique per process and thread: the report worker and the job's API may write at the same time.
  const temporary = `${path}.${process.pid}-${threadId}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, content, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    // A full disk left an empty or partial temporary file behind for every report it refused.
    await rm(temporary, { force: true });
    throw cannotWrite(path, error);
  }
}

/**
 * A report file that could not be written, said with its path and what to do. The message starts
 * with `cannot write `: the report queue tries such a request again in the next run (a full disk
 * may be freed by then), not one whose data was missing.
 */
function cannotWrite(path: string, error: unknown): SinkError {
  const code = (error as NodeJS.ErrnoException).code;
  const what = code === 'ENOSPC' ? 'free space on its file system, or write the reports to another directory' : 'check the directory and its permissions';
  return new SinkError(`${CANNOT_WRITE}${path}: ${error instanceof Error ? error.message : String(error)}; ${what}`, { cause: error });
}

export const CANNOT_WRITE = 'cannot write ';
