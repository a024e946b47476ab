/**
 * What the merge suites on the mock cluster share (job option `merge`): the columns compared, a
 * multiset difference in DuckDB over the members' databases, and the members' merge offsets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { reachedEnds, topicLayout, waitFor, type PulseProcess } from './kafka-helpers.js';

/** `contact_kpis` columns compared (times as epoch ms). */
export const KPIS = `epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, queue, channel, offered, handled, abandoned, short_abandoned,
  self_service, abandon_rate, aht_seconds, asa_seconds, avg_queue_seconds, service_level, transfer_rate, self_service_rate, fcr_rate,
  fcr_final, transferred, resolved, resolved_per_minute`;
/** `alerts` columns compared. */
export const ALERTS = `alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fired,
  CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations, status`;

/**
 * Each key's row from the member that held it last: `members` are database aliases, the last owner
 * first; a row of a later member is taken only where no earlier one in the list has its key (`key`
 * compares the later member's row `t` with an earlier one's `s`).
 */
export function lastOwners(columns: string, table: string, key: string, members: readonly string[]): string {
  return members
    .map((member, i) => {
      const newer = members.slice(0, i).map((m) => `NOT EXISTS (SELECT 1 FROM ${m}.${table} s WHERE ${key})`);
      return `SELECT ${columns} FROM ${member}.${table} t${newer.length > 0 ? ` WHERE ${newer.join(' AND ')}` : ''}`;
    })
    .join(' UNION ALL ');
}

/** Compares the keys of a `contact_kpis` row `t` with an earlier owner's `s` (lastOwners). */
export const KPI_KEY = 's.window_start = t.window_start AND s.window_end = t.window_end AND s.queue = t.queue AND s.channel = t.channel';
/** Compares an alert `t` with an earlier owner's `s` (lastOwners). */
export const ALERT_KEY = 's.alert_id = t.alert_id';

/** Rows of `merged` that `one` lacks and the reverse (multiset difference, DuckDB EXCEPT ALL both ways); `paths` are attached read-only by alias. */
export async function differences(paths: Record<string, string>, merged: string, one: string): Promise<{ onlyMerged: number; onlyOne: number; total: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    for (const [alias, path] of Object.entries(paths)) await connection.run(`ATTACH '${path}' AS ${alias} (READ_ONLY)`);
    const count = async (sql: string): Promise<number> => Number((await connection.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRows()[0]![0]);
    return {
      // Each side as a subquery: UNION ALL and EXCEPT ALL bind left to right.
      onlyMerged: await count(`SELECT * FROM (${merged}) EXCEPT ALL SELECT * FROM (${one})`),
      onlyOne: await count(`SELECT * FROM (${one}) EXCEPT ALL SELECT * FROM (${merged})`),
      total: await count(one),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The members' merge-topic offsets merged and committed, by merge partition (only its owner follows one). */
export async function mergedOffsets(members: readonly PulseProcess[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const member of members) {
    for (const s of await member.samples('pulse_merge_offset'))
      out.set(Number(s.labels['partition']), Math.max(s.value, out.get(Number(s.labels['partition'])) ?? -1));
  }
  return out;
}

/**
 * Waits until every merge partition is merged to its end and committed, twice in a row with the
 * same ends (a member's last partials are produced just after the checkpoint that shows its position).
 */
export async function waitMergedToEnd(bootstrap: string, mergeTopic: string, members: readonly PulseProcess[], timeoutMs: number): Promise<void> {
  let before = '';
  await waitFor(
    'the merge topic to be merged to its end',
    async () => {
      const ends = (await topicLayout(bootstrap, mergeTopic)).ends;
      const done = reachedEnds(await mergedOffsets(members), ends);
      const seen = JSON.stringify([...ends].sort());
      const stable = done && seen === before;
      before = done ? seen : '';
      return stable;
    },
    timeoutMs,
    1_000,
  );
}

/**
 * The job with one more KPI rule that fires and resolves often on this small input (every quarter
 * hour with a contact), so that rule progress across the moves is compared on many alerts.
 */
export function withBusyRule(path: string): string {
  const yaml = readFileSync(path, 'utf8');
  const rule = '      - { name: AnyContact, when: offered >= 1, window: 15m, severity: info, min_offered: 0 }\n';
  writeFileSync(path, yaml.replace('    rules:\n', `    rules:\n${rule}`));
  return path;
}
