/**
 * Rules that name a queue or contact reason the data does not have. They are checked against the
 * contacts the job has stored, after a run: the job file cannot know the data's names, and the
 * operators judge only what comes. A misspelt queue (`biling`), or the default job's `billing`,
 * `tech_support` and `RET_CANCEL` over a business whose queues and reasons are called otherwise,
 * leave a rule silent for good, which reads as "all is well".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { likelyMeant } from '../operators/config/schema.js';
import { contactKpiOptionsFromConfig } from '../operators/contact-kpis/options.js';
import { validateRules } from '../operators/rules/index.js';
import { resolveServiceTriggers } from '../operators/service/index.js';
import type { OperatorConfig } from './job-config.js';

export type NameKind = 'queue' | 'reason';

export interface UnmatchedRuleName {
  /** The rule, as `KPI rule X` or `service rule Y`. */
  rule: string;
  kind: NameKind;
  /** The name as the rule has it, in lower case (rules match names whatever their case). */
  name: string;
  /** A name of the data close to it in spelling, if there is one. */
  likely?: string;
}

export interface UnmatchedRuleNames {
  unmatched: UnmatchedRuleName[];
  /** The stored contacts' names of each kind, in lower case, sorted. */
  known: Record<NameKind, string[]>;
}

interface NamedByRule {
  rule: string;
  kind: NameKind;
  name: string;
}

/** The queues KPI rules judge, and the reasons and queues service escalation rules fire on. */
function namesOfRules(operators: readonly OperatorConfig[]): NamedByRule[] {
  return operators.flatMap((op): NamedByRule[] => {
    if (op.type === 'contact_kpis') {
      const rules = validateRules(op.settings['rules'], { windowSizes: contactKpiOptionsFromConfig(op.settings).windowSizesMs });
      return rules.flatMap((r) => (r.queues ?? []).map((name) => ({ rule: `KPI rule ${r.name}`, kind: 'queue' as const, name })));
    }
    if (op.type === 'service_triggers') {
      return resolveServiceTriggers(op.settings).interactionRules.flatMap((r) => [
        ...[...r.reasons].map((name) => ({ rule: `service rule ${r.name}`, kind: 'reason' as const, name })),
        ...[...r.queues].map((name) => ({ rule: `service rule ${r.name}`, kind: 'queue' as const, name })),
      ]);
    }
    return [];
  });
}

async function distinctLower(connection: DuckDBConnection, column: string, table: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT DISTINCT lower(${column}) AS name FROM ${table} ORDER BY name`);
  return reader.getRowObjectsJS().map((row) => String(row['name']));
}

/**
 * The queue and reason names the job's rules use that no stored contact has. Nothing when the
 * database has no contacts at all: then every such rule is idle, and the run's counts say why.
 */
export async function unmatchedRuleNames(connection: DuckDBConnection, operators: readonly OperatorConfig[]): Promise<UnmatchedRuleNames> {
  const named = namesOfRules(operators);
  const known: Record<NameKind, string[]> = { queue: [], reason: [] };
  if (named.length === 0) return { unmatched: [], known };
  known.queue = await distinctLower(connection, 'queue', 'contact_kpis');
  if (known.queue.length === 0) return { unmatched: [], known };
  known.reason = await distinctLower(connection, 'reason', 'contact_reason_volumes');
  const unmatched = named
    .filter(({ kind, name }) => !known[kind].includes(name))
    .map((entry) => {
      const likely = likelyMeant(entry.name, known[entry.kind]);
      return likely === undefined ? entry : { ...entry, likely };
    });
  return { unmatched, known };
}

/** The most names of the data a message lists. */
const NAMES_LISTED = 20;

function listed(names: readonly string[]): string {
  return names.length <= NAMES_LISTED ? names.join(', ') : `${names.slice(0, NAMES_LISTED).join(', ')} and ${names.length - NAMES_LISTED} more`;
}

/** One paragraph for a person: which rules name what the data does not have, and what to do. */
export function unmatchedRuleNamesText({ unmatched, known }: UnmatchedRuleNames): string {
  const each = unmatched.map(({ rule, kind, name, likely }) => `${rule}: ${kind} '${name}'${likely === undefined ? '' : ` (did you mean '${likely}'?)`}`);
  const kinds = [...new Set(unmatched.map((u) => u.kind))].map((kind) => `its ${kind}s: ${listed(known[kind])}`);
  return (
    `rules name queues or reasons that no contact in this database has, so they never act on them: ${each.join('; ')} ` +
    `(${kinds.join('; ')}). Set them in the job file to names of your data (any case), or leave them out`
  );
}
