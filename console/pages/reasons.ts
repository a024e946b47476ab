/**
 * GET /reasons (the active reason list, its versions), GET /reasons.yaml (export), and
 * POST /reasons (managers: rename, merge, retire, add, import YAML). Every change saves a new
 * version through sinks/taxonomy, with the signed-in user as its author; a change of a code the
 * list lacks, or one that changes nothing, is refused (400) and saves nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../operators/errors.js';
import { hasReason, parseTaxonomyYaml, reasonMapper, taxonomyEdits, taxonomyToYaml, type Taxonomy } from '../../operators/reason-taxonomy.js';
import { saveTaxonomyVersion, taxonomyVersion, taxonomyVersions } from '../../sinks/taxonomy/store.js';
import { unknownReasonCodes } from '../../sinks/taxonomy/unknown-codes.js';
import { renderError, type PageContext } from '../server.js';

const OPERATIONS = ['rename', 'merge', 'retire', 'add', 'import'] as const;
type Operation = (typeof OPERATIONS)[number];

interface ReasonForm {
  op?: string;
  code?: string;
  label?: string;
  category?: string;
  into?: string;
  yaml?: string;
}

/**
 * The taxonomy after the form's change, and what to call the version. An edit that leaves the list
 * as it is is refused: saved, it would be a version whose comment claims a change. (An import
 * saves the list it is given, as `pulse reasons import` does.)
 */
function changedByForm(current: Taxonomy, op: Operation, form: ReasonForm): { taxonomy: Taxonomy; comment: string } {
  const changed = applyForm(current, op, form);
  if (op !== 'import' && isDeepStrictEqual(changed.taxonomy, current)) throw new ConfigError(`the list is like that already (${changed.comment})`);
  return changed;
}

/** The taxonomy after the form's change, and what to call the version. */
function applyForm(current: Taxonomy, op: Operation, form: ReasonForm): { taxonomy: Taxonomy; comment: string } {
  const need = (value: string | undefined, name: string): string => {
    const trimmed = value?.trim() ?? '';
    if (trimmed === '') throw new ConfigError(`give the ${name}`);
    return trimmed;
  };
  switch (op) {
    case 'rename': {
      const code = need(form.code, 'reason code');
      const label = need(form.label, 'new label');
      return { taxonomy: taxonomyEdits.rename(current, code, label), comment: `renamed ${code} to "${label}"` };
    }
    case 'merge': {
      const code = need(form.code, 'reason code');
      const into = need(form.into, 'reason to merge into');
      // A code the list does not have (typically one of the page's unknown codes) is mapped onto
      // the reason, so that its contacts count there: merging it can mean nothing else.
      return hasReason(current, code)
        ? { taxonomy: taxonomyEdits.merge(current, code, into), comment: `merged ${code} into ${into}` }
        : { taxonomy: taxonomyEdits.mapCode(current, code, into), comment: `mapped code ${code} to ${into} (every channel)` };
    }
    case 'retire': {
      const code = need(form.code, 'reason code');
      return { taxonomy: taxonomyEdits.retire(current, code), comment: `retired ${code}` };
    }
    case 'add': {
      const reason = { code: need(form.code, 'code'), label: need(form.label, 'label'), category: need(form.category, 'category') };
      return { taxonomy: taxonomyEdits.add(current, reason), comment: `added ${reason.code}` };
    }
    case 'import':
      return { taxonomy: parseTaxonomyYaml(need(form.yaml, 'YAML'), 'the imported YAML'), comment: 'imported on the console' };
  }
}

export function registerReasonPages(app: FastifyInstance, context: PageContext): void {
  app.get('/reasons', async (request, reply) => {
    const user = request.user!;
    const { active, versions, unknown } = await context.db.use(async (conn) => ({
      active: await taxonomyVersion(conn),
      versions: await taxonomyVersions(conn),
      unknown: await unknownReasonCodes(conn),
    }));
    const reasons = active?.taxonomy.reasons ?? [];
    // A code a later version maps is shown as such: its count is history, not a gap in the list.
    const map = active === undefined ? undefined : reasonMapper(active.taxonomy);
    return reply.view('reasons.eta', {
      title: 'Contact reasons',
      user,
      csrf: reply.generateCsrf(),
      isManager: user.role === 'manager',
      active,
      reasons,
      activeCodes: reasons.filter((r) => r.status === 'active').map((r) => r.code),
      versions,
      unknown: unknown.map((u) => {
        const now = map?.(u.channel, u.code);
        return { ...u, mappedNow: now?.known ? now.reason : null };
      }),
    });
  });

  app.get<{ Querystring: { version?: string } }>('/reasons.yaml', async (request, reply) => {
    const wanted = request.query.version === undefined ? undefined : Number(request.query.version);
    const found = await context.db.use((conn) => taxonomyVersion(conn, Number.isInteger(wanted) ? wanted : undefined));
    if (found === undefined) return renderError(reply, request, 404, 'There is no reason list (version) to export yet.');
    return reply
      .type('application/yaml; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="reasons-v${found.version}.yaml"`)
      .send(taxonomyToYaml(found.taxonomy));
  });

  app.post<{ Body: ReasonForm }>('/reasons', { preHandler: app.csrfProtection }, async (request, reply) => {
    const user = request.user!;
    if (user.role !== 'manager') return renderError(reply, request, 403, 'Only a manager can change the reason list.');
    const op = request.body?.op as Operation;
    if (!OPERATIONS.includes(op)) return renderError(reply, request, 400, `Unknown change '${String(request.body?.op)}'.`);
    const outcome = await context.db.use(async (conn) => {
      const current = (await taxonomyVersion(conn))?.taxonomy ?? { reasons: [] };
      try {
        const { taxonomy, comment } = changedByForm(current, op, request.body ?? {});
        return { version: await saveTaxonomyVersion(conn, taxonomy, { actor: user.name, at: context.now() }, comment) };
      } catch (error) {
        if (error instanceof ConfigError) return { problem: error.message };
        throw error;
      }
    });
    if ('problem' in outcome) return renderError(reply, request, 400, `Nothing was saved: ${outcome.problem}.`);
    return reply.redirect('/reasons', 303);
  });
}
