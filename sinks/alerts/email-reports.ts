/**
 * Which generated reports an e-mail notification attaches and which it only links (issue 14: one
 * mail of a replay carried 145 attachments, 8.2 MB, and a larger one is refused with SMTP 552,
 * which makes the delivery dead).
 *
 * A notification attaches only its own reports: those of the alerts it notifies about, never the
 * group's earlier alerts that a repeat notification re-sends (their reports went out with their
 * first notification). Its own reports are attached most important first (critical, warning, info;
 * firing before resolved; newest first) while they stay within `maxFiles` and `maxBytes`; every
 * report, attached or not, is linked in the body.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { DeliveredAlert, Notification } from './types.js';

/** Annotation keys that may name a generated report file. */
export const REPORT_ANNOTATIONS = ['report_path', 'report_file'] as const;

export interface AttachmentLimits {
  /** Most files attached to one message (0: attach none). */
  maxFiles: number;
  /** Most bytes of attached files in one message, before base64 (which adds a third). */
  maxBytes: number;
}

/**
 * 1 MiB of reports is about 1.4 MB once base64-encoded: far below common SMTP size limits (10 MB and
 * more), and room for a few KPI reports (about 60 kB each); 3 files keep a mail readable.
 */
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = { maxFiles: 3, maxBytes: 1_048_576 };

export interface Attachment {
  filename: string;
  content: Buffer;
}

export interface ReportPlan {
  attached: Attachment[];
  /** Report paths linked but not attached: a repeat's, over the limits, or not rendered yet. */
  linkedOnly: string[];
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Most important first: severity, then firing before resolved, then the newest. */
function byImportance(a: DeliveredAlert, b: DeliveredAlert): number {
  const rank = (x: DeliveredAlert): number => SEVERITY_RANK[x.labels.severity ?? ''] ?? 3;
  return rank(a) - rank(b) || (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) || (a.startsAt < b.startsAt ? 1 : a.startsAt > b.startsAt ? -1 : 0);
}

/** The report paths of the alerts, most important alert first, each once. */
export function reportPaths(alerts: readonly DeliveredAlert[]): string[] {
  const paths = new Set<string>();
  for (const a of [...alerts].sort(byImportance)) {
    for (const key of REPORT_ANNOTATIONS) {
      const p = a.annotations[key];
      if (p) paths.add(p);
    }
  }
  return [...paths];
}

/**
 * Reads the files to attach now. A report is rendered after the checkpoint that linked it, so it
 * may not exist yet (or be gone): it is then only linked and the message goes anyway. Reading here
 * rather than handing nodemailer the path means a file cannot vanish between this check and the
 * send; a report is only ever replaced whole (renamed into place), so it is never half-read.
 */
export function planReports(n: Notification, limits: AttachmentLimits): ReportPlan {
  const plan: ReportPlan = { attached: [], linkedOnly: [] };
  let bytes = 0;
  for (const path of reportPaths(n.alerts)) {
    const content = n.repeat || plan.attached.length >= limits.maxFiles ? null : readIfExists(path);
    if (content !== null && bytes + content.length <= limits.maxBytes) {
      plan.attached.push({ filename: basename(path), content });
      bytes += content.length;
    } else plan.linkedOnly.push(path);
  }
  return plan;
}

function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    // Not rendered yet, or removed: not a reason to hold the alert back.
    return null;
  }
}

/** The report's address under `reportsUrl` (where the reports directory is served), else its path. */
export function reportLink(path: string, reportsUrl: string | undefined): string {
  if (!reportsUrl) return path;
  return `${reportsUrl.replace(/\/+$/, '')}/${encodeURIComponent(basename(path))}`;
}

/** The alerts with `report_url` set from their report path, so the body shows a clickable link. */
export function withReportLinks(alerts: readonly DeliveredAlert[], reportsUrl: string | undefined): DeliveredAlert[] {
  if (!reportsUrl) return [...alerts];
  return alerts.map((a) => {
    const path = REPORT_ANNOTATIONS.map((k) => a.annotations[k]).find((p) => p);
    if (!path || a.annotations.report_url) return a;
    return { ...a, annotations: { ...a.annotations, report_url: reportLink(path, reportsUrl) } };
  });
}

/** Lines for the end of the body: what is attached and what is only linked, and why. */
export function reportNotes(n: Notification, plan: ReportPlan, limits: AttachmentLimits, reportsUrl: string | undefined): string[] {
  const notes: string[] = [];
  if (plan.attached.length > 0) notes.push(`Attached: ${plan.attached.map((a) => a.filename).join(', ')}.`);
  if (plan.linkedOnly.length > 0) {
    const why = n.repeat
      ? 'this is a repeat notification; the reports went out with the first one'
      : `at most ${limits.maxFiles} file${limits.maxFiles === 1 ? '' : 's'} and ${formatBytes(limits.maxBytes)} are attached, most important alerts first; a report not rendered yet is linked too`;
    const where = reportsUrl ? `at ${reportsUrl.replace(/\/+$/, '')}/` : 'in the reports directory (set reports_url on the receiver for links)';
    notes.push(`${plan.linkedOnly.length} report${plan.linkedOnly.length === 1 ? '' : 's'} linked, not attached (${why}): ${where}`);
    for (const path of plan.linkedOnly) notes.push(`  ${reportLink(path, reportsUrl)}`);
  }
  return notes;
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576 ? `${Number((bytes / 1_048_576).toFixed(1))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
