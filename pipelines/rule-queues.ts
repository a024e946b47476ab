/**
 * KPI rules that name a queue the data does not have. A rule's queues are checked against the
 * contacts the job has seen, after a run: the job file cannot know them, and the operators judge
 * only the rows that come. A misspelt queue (`biling`), or the default job's `billing` and
 * `tech_support` run over a business whose queues are called otherwise, would leave the rule
 * silent for good, which reads as "all is well".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { likelyMeant } from '../operators/config/schema.js';
import { contactKpiOptionsFromConfig } from '../operators/contact-kpis/options.js';
import { validateRules } from '../operators/rules/index.js';
import type { OperatorConfig } from './job-config.js';

export interface UnseenRuleQueue {
  /** The rule's name. */
  rule: string;
  /** The queue as the rule has it (lower case: rules match queues whatever their case). */
  queue: string;
  /** A queue of the data close to it in spelling, if there is one. */
  likely?: string;
}

/** Every queue of the stored contacts, in lower case (as rules compare them), sorted. */
async function storedQueues(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT DISTINCT lower(queue) AS queue FROM contact_kpis ORDER BY queue`);
  return reader.getRowObjectsJS().map((row) => String(row['queue']));
}

/**
 * The queues the job's KPI rules name that no stored contact has, with the data's queues. Nothing
 * when the database has no contacts at all: then every rule is idle, and the run's counts say why.
 */
export async function unseenRuleQueues(
  connection: DuckDBConnection,
  operators: readonly OperatorConfig[],
): Promise<{ unseen: UnseenRuleQueue[]; queues: string[] }> {
  const named = operators
    .filter((op) => op.type === 'contact_kpis')
    .flatMap((op) => validateRules(op.settings['rules'], { windowSizes: contactKpiOptionsFromConfig(op.settings).windowSizesMs }))
    .flatMap((rule) => (rule.queues ?? []).map((queue) => ({ rule: rule.name, queue })));
  if (named.length === 0) return { unseen: [], queues: [] };
  const queues = await storedQueues(connection);
  if (queues.length === 0) return { unseen: [], queues };
  const unseen = named
    .filter(({ queue }) => !queues.includes(queue))
    .map(({ rule, queue }) => {
      const likely = likelyMeant(queue, queues);
      return likely === undefined ? { rule, queue } : { rule, queue, likely };
    });
  return { unseen, queues };
}

/** One line for a person: which rules cannot fire, why, and what to do. */
export function unseenRuleQueuesText(unseen: readonly UnseenRuleQueue[], queues: readonly string[]): string {
  const each = unseen.map(({ rule, queue, likely }) => `${rule} names '${queue}'${likely === undefined ? '' : ` (did you mean '${likely}'?)`}`);
  return (
    `KPI rules that cannot fire: ${each.join('; ')}, and no contact in this database has that queue ` +
    `(its queues: ${queues.join(', ')}). Set each rule's queue or queues in the job file to queues of your data ` +
    `(any case), or leave the key out to judge every queue`
  );
}
