/**
 * The e-mail body of a scheduled report's notification (an alert of kind `report`,
 * pipelines/report-schedule.ts): the report itself, so the colour-coded scorecard is read in the
 * mail, with its links (Grafana dashboard, case page) on top as clickable links. The report file
 * is attached as well (email.ts). Any other notification keeps the alert summary body.
 */
import { readFileSync } from 'node:fs';
import { esc } from './payloads.js';
import type { Notification } from './types.js';

/** Link annotations of a report notification, with the text shown. */
const LINKS = [
  ['dashboard_url', 'Open the dashboard'],
  ['cases_url', 'Open the cases'],
] as const;

/** The report's HTML with its links, or null when this is not one rendered scheduled report. */
export function reportBody(n: Notification): string | null {
  if (n.alerts.length !== 1 || n.alerts[0]!.labels['kind'] !== 'report') return null;
  const alert = n.alerts[0]!;
  const path = alert.annotations['report_path'];
  if (!path) return null;
  let page: string;
  try {
    page = readFileSync(path, 'utf8');
  } catch {
    return null; // not rendered: the summary body, with the link, goes instead
  }
  const links = LINKS.filter(([key]) => alert.annotations[key]).map(([key, text]) => `<a href="${esc(alert.annotations[key]!)}">${text}</a>`);
  if (links.length === 0) return page;
  return page.replace(/<body>/, `<body>\n<p class="links">${links.join(' | ')}</p>`);
}
