/**
 * The outcome forms (issue 16): POST /alerts/:id/outcome and POST /cases/:id/outcome record what
 * came of an alert or a case through sinks/outcomes (the code of `pulse outcomes record`), with the
 * signed-in user as the actor. A member judges their team's alerts and cases; a manager any.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PERSON_OUTCOMES, recordOutcome, type SubjectKind } from '../../sinks/outcomes/store.js';
import { UsageError } from '../../operators/errors.js';
import { listAlerts } from '../queries.js';
import { renderError, type PageContext } from '../server.js';
import type { ConsoleUser } from '../users.js';
import { findCase, mayWork, teamScope } from './cases.js';

interface OutcomeRoute {
  Params: { id: string };
  Body: OutcomeForm;
}

interface OutcomeForm {
  outcome?: string;
  value?: string;
  note?: string;
}

/** True when `user` may judge this subject (it exists and is routed to their team, or they manage). */
async function mayJudge(conn: Parameters<typeof listAlerts>[0], user: ConsoleUser, kind: SubjectKind, id: string): Promise<boolean> {
  if (kind === 'case') {
    const found = await findCase(conn, id);
    return found !== undefined && (await mayWork(conn, user, found));
  }
  const [alert] = await listAlerts(conn, { alertId: id, ...teamScope(user) }, 1);
  return alert !== undefined;
}

/** The form's value: empty is none; anything else must be an amount >= 0. */
function formValue(text: string | undefined): number | undefined | 'bad' {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) && n >= 0 ? n : 'bad';
}

export function registerOutcomePages(app: FastifyInstance, context: PageContext): void {
  const handler = (kind: 'alert' | 'case', back: (id: string) => string) => async (request: FastifyRequest<OutcomeRoute>, reply: FastifyReply) => {
    const user = request.user!;
    const { id } = request.params;
    const form = request.body ?? {};
    const outcome = typeof form.outcome === 'string' ? form.outcome.trim() : '';
    if (!(PERSON_OUTCOMES as readonly string[]).includes(outcome)) {
      return renderError(reply, request, 400, `Nothing was recorded: choose an outcome (${PERSON_OUTCOMES.join(', ')}).`);
    }
    const value = formValue(form.value);
    if (value === 'bad') return renderError(reply, request, 400, 'Nothing was recorded: the value must be an amount of 0 or more, e.g. 1200.');
    const note = typeof form.note === 'string' && form.note.trim() !== '' ? form.note.trim() : undefined;
    const result = await context.db.use(async (conn) => {
      if (!(await mayJudge(conn, user, kind, id))) return 'not found' as const;
      try {
        await recordOutcome(
          conn,
          { subjectId: id, kind, outcome, ...(value !== undefined ? { value } : {}), ...(note !== undefined ? { note } : {}) },
          { actor: user.name, at: context.now() },
        );
        return 'recorded' as const;
      } catch (error) {
        if (error instanceof UsageError) return { message: error.message };
        throw error;
      }
    });
    if (result === 'not found') return renderError(reply, request, 404, `There is no such ${kind}, or it belongs to another team.`);
    if (result !== 'recorded') return renderError(reply, request, 400, `Nothing was recorded: ${result.message}.`);
    return reply.redirect(back(id), 303);
  };
  app.post<OutcomeRoute>(
    '/alerts/:id/outcome',
    { preHandler: app.csrfProtection },
    handler('alert', (id) => `/alerts?alert=${encodeURIComponent(id)}`),
  );
  app.post<OutcomeRoute>(
    '/cases/:id/outcome',
    { preHandler: app.csrfProtection },
    handler('case', (id) => `/cases/${encodeURIComponent(id)}`),
  );
}
