/**
 * GET / (the team's cases), GET /cases/:id (one case and what is behind it) and the case forms
 * POST /cases/:id/{note,status,assign,close}. Changes go through sinks/cases, the code of
 * `pulse cases update|close`, with the signed-in user as the actor of the audit trail.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CASE_STATUSES, TERMINAL_CASE_STATUSES } from '../../operators/service/case-status.js';
import {
  CaseChangeError,
  CaseNotFoundError,
  UnknownTeamError,
  caseEvents,
  closeCase,
  getCase,
  listCases,
  updateCase,
  type CaseRecord,
} from '../../sinks/cases/index.js';
import { commandNow, readJobClock } from '../../sinks/duckdb/job-clock.js';
import { listOutcomes, PERSON_OUTCOMES } from '../../sinks/outcomes/store.js';
import {
  customerOf,
  filterChoices,
  listAlerts,
  listHomeCases,
  OPEN_STATUSES,
  queueKpis,
  recentWindows,
  wasEscalatedTo,
  type AlertRow,
  type CaseFilters,
} from '../queries.js';
import { renderError, type PageContext } from '../server.js';
import type { ConsoleUser } from '../users.js';

const ACTIONS = ['note', 'status', 'assign', 'close'] as const;
type Action = (typeof ACTIONS)[number];

interface CaseForm {
  note?: string;
  status?: string;
  team?: string;
  assignee?: string;
}

/**
 * Members see and work their own team's cases and the cases escalated to their team (its
 * `case_overdue` alert sent them the link); managers every team's.
 */
export async function mayWork(conn: Parameters<typeof getCase>[0], user: ConsoleUser, found: CaseRecord): Promise<boolean> {
  if (user.role === 'manager' || found.team === user.team) return true;
  return wasEscalatedTo(conn, found.case_id, user.team);
}

/** A customer's cases (the newest 50) that `user` may see and work (`mayWork`), for the customer page. */
export async function customerCasesFor(conn: Parameters<typeof getCase>[0], user: ConsoleUser, customerId: string): Promise<CaseRecord[]> {
  const cases = await listCases(conn, { customer: customerId, limit: 50 });
  const seen: CaseRecord[] = [];
  for (const found of cases) if (await mayWork(conn, user, found)) seen.push(found);
  return seen;
}

/**
 * The filter of the alerts and cases `user` may see, for `listAlerts` and `listCases`: a member's
 * team's, every team's for a manager. One rule for every page, so none lists what another hides.
 */
export function teamScope(user: ConsoleUser): { team?: string } {
  return user.role === 'manager' ? {} : { team: user.team };
}

/** A form field: trimmed, empty as undefined. */
function field(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Why `user` may not make this change, or undefined when they may. */
function refusal(user: ConsoleUser, action: Action, form: CaseForm): string | undefined {
  const closing = action === 'close' || (action === 'status' && form.status !== undefined && TERMINAL_CASE_STATUSES.has(form.status));
  if (closing && user.role !== 'manager') return 'Only a case manager can close or resolve a case. Ask a manager of your team.';
  return undefined;
}

/** Cases the home page lists (most urgent first); filters reach the others. */
const CASES_SHOWN = 500;

export function registerCasePages(app: FastifyInstance, context: PageContext): void {
  /**
   * The case clock, as `pulse cases` and escalation have it: the event time a replayed input
   * reached, else the wall clock. A change made here was stamped with the wall clock, so a replay's
   * history listed a later command-line change before it.
   */
  const jobNow = async (conn: Parameters<typeof getCase>[0]): Promise<number> => commandNow(await readJobClock(conn), context.now());

  app.get<{ Querystring: CaseFilters }>('/', async (request, reply) => {
    const user = request.user!;
    const query = request.query;
    // A member's list is their team's; a manager starts at their team and may pick any (or all).
    const filters: CaseFilters = {
      team: user.role === 'manager' ? (query.team ?? user.team) : user.team,
      status: query.status ?? OPEN_STATUSES,
      ...(field(query.severity) ? { severity: field(query.severity) } : {}),
      ...(field(query.category) ? { category: field(query.category) } : {}),
      ...(field(query.tier) ? { tier: field(query.tier) } : {}),
    };
    // One more than shown, to say that there are more.
    const { cases: found, choices } = await context.db.use(async (conn) => ({
      cases: await listHomeCases(conn, filters, await jobNow(conn), context.dueSoonMs, CASES_SHOWN + 1),
      choices: await filterChoices(conn),
    }));
    const cases = found.slice(0, CASES_SHOWN);
    return reply.view('home.eta', {
      title: 'Cases',
      user,
      csrf: reply.generateCsrf(),
      filters,
      choices,
      openStatuses: OPEN_STATUSES,
      cases,
      more: found.length > CASES_SHOWN,
      shown: CASES_SHOWN,
      counts: { overdue: cases.filter((c) => c.urgency === 'overdue').length, dueSoon: cases.filter((c) => c.urgency === 'due_soon').length },
    });
  });

  app.get<{ Params: { id: string } }>('/cases/:id', async (request, reply) => {
    const user = request.user!;
    const page = await context.db.use(async (conn) => {
      const found = await findCase(conn, request.params.id);
      if (found === undefined || !(await mayWork(conn, user, found))) return undefined;
      const events = await caseEvents(conn, found.case_id);
      const alert = found.alert_id === null ? undefined : (await listAlerts(conn, { alertId: found.alert_id }, 1))[0];
      const customerId = found.customer_id;
      const queue = contactQueueOf(alert);
      return {
        found,
        now: await jobNow(conn),
        events,
        alert,
        customer: customerId === null ? undefined : await customerOf(conn, customerId, alert?.labels['account_owner'] ?? null),
        // As on the customer page: another team's alerts (and links to its cases, which answer 404) stay hidden from a member.
        signals: customerId === null ? [] : await listAlerts(conn, { customer: customerId, ...teamScope(user) }, 10),
        windows: customerId === null ? [] : await recentWindows(conn, customerId),
        kpis: queue === undefined ? [] : await queueKpis(conn, queue),
        outcomes: await listOutcomes(conn, { subjectId: found.case_id, kind: 'case' }),
      };
    });
    if (page === undefined) return caseNotFound(reply, request);
    return reply.view('case.eta', {
      title: `Case ${page.found.case_id}`,
      user,
      csrf: reply.generateCsrf(),
      isManager: user.role === 'manager',
      outcomeChoices: PERSON_OUTCOMES,
      overdue: !TERMINAL_CASE_STATUSES.has(page.found.status) && page.found.due_at < page.now,
      ...page,
    });
  });

  app.post<{ Params: { id: string; action: string }; Body: CaseForm }>('/cases/:id/:action', { preHandler: app.csrfProtection }, async (request, reply) => {
    const user = request.user!;
    const action = request.params.action as Action;
    if (!ACTIONS.includes(action)) return renderError(reply, request, 404, `There is no case action '${request.params.action}'.`);
    const body = request.body ?? {};
    const form: CaseForm = {
      ...(field(body.note) ? { note: field(body.note) } : {}),
      ...(field(body.status) ? { status: field(body.status) } : {}),
      ...(field(body.team) ? { team: field(body.team) } : {}),
      ...(field(body.assignee) ? { assignee: field(body.assignee) } : {}),
    };
    const refused = refusal(user, action, form);
    if (refused !== undefined) return renderError(reply, request, 403, refused);
    if (form.status !== undefined && !(CASE_STATUSES as readonly string[]).includes(form.status)) {
      return renderError(reply, request, 400, `Unknown status '${form.status}'.`);
    }
    // The case tools' own refusal of an empty change names command-line flags.
    if (action !== 'close' && Object.keys(changeOf(action, form)).length === 0) {
      return renderError(reply, request, 400, `Nothing was changed: the form was empty (${NEEDS[action]}).`);
    }
    const outcome = await context.db.use(async (conn) => {
      const found = await findCase(conn, request.params.id);
      if (found === undefined || !(await mayWork(conn, user, found))) return 'not found' as const;
      const who = { actor: user.name, at: await jobNow(conn) };
      try {
        if (action === 'close') await closeCase(conn, found.case_id, form.note === undefined ? {} : { note: form.note }, who);
        else await updateCase(conn, found.case_id, changeOf(action, form), who);
        return found.case_id;
      } catch (error) {
        if (error instanceof UnknownTeamError) return { message: error.withHowToStart(howToStartTeam(error.team)) };
        if (error instanceof CaseChangeError) return { message: error.message };
        throw error;
      }
    });
    if (outcome === 'not found') return caseNotFound(reply, request);
    if (typeof outcome !== 'string') return renderError(reply, request, 400, `Nothing was changed: ${outcome.message}.`);
    return reply.redirect(`/cases/${encodeURIComponent(outcome)}`, 303);
  });
}

/**
 * How a console user gets a new team: the console has no page to start one, and a team exists once
 * a console user works in it, which an administrator sets up (the command line's own way, a flag
 * of `pulse cases update`, is not one a console user can give).
 */
function howToStartTeam(team: string): string {
  return `if it is a new team, ask an administrator to add its first console user (pulse users add NAME --team ${team} --role member), then reassign the case here`;
}

/** What each action needs filled in, for a form sent empty. */
const NEEDS: Record<Exclude<Action, 'close'>, string> = {
  note: 'write a note',
  status: 'pick a status',
  assign: 'give a team or an assignee',
};

/** The fields of the form that belong to the action (a stray field does not ride along). */
function changeOf(action: Exclude<Action, 'close'>, form: CaseForm): CaseForm {
  const note = form.note === undefined ? {} : { note: form.note };
  if (action === 'status') return { ...(form.status === undefined ? {} : { status: form.status }), ...note };
  if (action === 'assign') {
    return { ...(form.team === undefined ? {} : { team: form.team }), ...(form.assignee === undefined ? {} : { assignee: form.assignee }), ...note };
  }
  return note;
}

/**
 * The queue of the contact behind the case's alert. Only service alerts open cases, and the service
 * operator puts the queue in their annotations (operators/service/describe.ts), never in their
 * labels; an alert from a survey has none.
 */
function contactQueueOf(alert: AlertRow | undefined): string | undefined {
  return alert?.annotations['queue'];
}

/** The case with exactly this id (the console links full ids; prefixes are for the CLI). */
export async function findCase(conn: Parameters<typeof getCase>[0], id: string): Promise<CaseRecord | undefined> {
  try {
    const found = await getCase(conn, id);
    return found.case_id === id ? found : undefined;
  } catch (error) {
    if (error instanceof CaseNotFoundError) return undefined;
    throw error;
  }
}

function caseNotFound(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  return renderError(reply, request, 404, 'There is no such case, or it belongs to another team.');
}
