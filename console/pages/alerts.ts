/** GET /alerts (recent alerts, linked to their case, report and customer) and GET /alerts/:id/report. */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isWithin } from '../../pipelines/job-api.js';
import { PERSON_OUTCOMES } from '../../sinks/outcomes/store.js';
import { alertChoices, listAlerts, reportPath, type AlertFilters } from '../queries.js';
import { renderError, type PageContext } from '../server.js';
import { teamScope } from './cases.js';

interface AlertQuery {
  kind?: string;
  severity?: string;
  team?: string;
  customer?: string;
  alert?: string;
}

// Reports are whole HTML documents of their own, with inline styles and SVG charts.
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/** Alerts a page lists, newest first; filters reach the older ones. */
const ALERTS_SHOWN = 200;

export function registerAlertPages(app: FastifyInstance, context: PageContext): void {
  app.get<{ Querystring: AlertQuery }>('/alerts', async (request, reply) => {
    const user = request.user!;
    const q = request.query;
    // Members see the alerts routed to their team.
    const filters: AlertFilters = {
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.severity ? { severity: q.severity } : {}),
      ...(q.customer ? { customer: q.customer } : {}),
      ...(q.alert ? { alertId: q.alert } : {}),
      ...(user.role === 'manager' ? (q.team ? { team: q.team } : {}) : { team: user.team }),
    };
    // One more than shown, to say that there are more (the page stopped at 200 without a word).
    const { alerts, choices } = await context.db.use(async (conn) => ({
      alerts: await listAlerts(conn, filters, ALERTS_SHOWN + 1),
      choices: await alertChoices(conn),
    }));
    const more = alerts.length > ALERTS_SHOWN;
    return reply.view('alerts.eta', {
      title: 'Alerts',
      user,
      csrf: reply.generateCsrf(),
      alerts: alerts.slice(0, ALERTS_SHOWN),
      more,
      shown: ALERTS_SHOWN,
      query: q,
      choices,
      outcomeChoices: PERSON_OUTCOMES,
    });
  });

  app.get<{ Params: { id: string } }>('/alerts/:id/report', async (request, reply) => {
    const user = request.user!;
    const { id } = request.params;
    const found = await context.db.use(async (conn) => {
      const [alert] = await listAlerts(conn, { alertId: id, ...teamScope(user) }, 1);
      return alert === undefined ? undefined : reportPath(conn, id);
    });
    if (found === undefined) return renderError(reply, request, 404, 'This alert has no rendered report (yet), or it is not routed to your team.');
    if (context.reportsDir === undefined) {
      return renderError(reply, request, 404, 'This console serves no reports directory (give pulse console --reports DIR).');
    }
    const html = await readFile(servedReport(context.reportsDir, found), 'utf8').catch(() => undefined);
    if (html === undefined) return renderError(reply, request, 404, 'The report file is gone from the reports directory.');
    return reply.type('text/html; charset=utf-8').header('Content-Security-Policy', REPORT_CSP).send(html);
  });
}

/**
 * The file of a stored report path in the reports directory this console serves. The job stores
 * the path as it wrote it, relative to where it ran (`reports/kpi-....html`), so a console started
 * elsewhere, or with `--reports` as an absolute path, found nothing: a path outside the directory
 * is taken by its file name within it (never outside it).
 */
function servedReport(reportsDir: string, stored: string): string {
  const asStored = resolve(stored);
  return isWithin(reportsDir, asStored) ? asStored : join(reportsDir, basename(stored));
}
