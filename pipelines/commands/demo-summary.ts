import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatWindowSize } from '../../sinks/reports/db.js';
import { shellWord, terminalSafe } from '../../sinks/terminal-text.js';

/** What `pulse demo` ran, for its summary. */
export interface DemoFacts {
  /** The package root: paths are shown relative to it when the demo runs there. */
  root: string;
  job: string;
  input: string;
  db: string;
  reportsDir: string;
  rejectsFile: string;
  logFile: string;
  records: number;
  accepted: number;
  rejected: number;
  /** What the generator injected on purpose (its ground-truth file), when known. */
  injected?: { duplicates: number; late: number; malformed: number; truthFile: string };
}

/** Why a record is dead-lettered, in a few words (reasons not listed show an example instead). */
const REASONS: Record<string, string> = {
  invalid_json: 'the line is not JSON',
  missing_field: 'a required field is missing',
  wrong_type: 'a field has the wrong type',
  impossible_value: 'a value that cannot be (a negative quantity, answered before queued)',
  unknown_type: 'an event type the job does not know',
  late: 'older than the watermark before its batch minus allowed_lateness (1h): its windows were final',
  duplicate: 'an event_id seen before: counted once',
};

type Row = Record<string, unknown>;

const count = (n: unknown): string => Number(n ?? 0).toLocaleString('en-US');

async function rows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Row[];
}

/** Left-aligned label column, then the text. */
function section(label: string, lines: readonly string[]): string[] {
  return lines.map((line, i) => `${(i === 0 ? label : '').padEnd(13)}${line}`);
}

/** `a 3, b 2, c 1` from rows of (name, n). */
function listing(items: readonly Row[], name = 'name'): string {
  return items.map((r) => `${terminalSafe(String(r[name]))} ${count(r['n'])}`).join(', ');
}

function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

async function alertLines(connection: DuckDBConnection): Promise<string[]> {
  const byKind = await rows(connection, `SELECT kind AS name, count(*) AS n FROM alerts GROUP BY kind ORDER BY n DESC, kind`);
  const byRule = await rows(
    connection,
    `SELECT kind, rule AS name, count(*) AS n, count(*) FILTER (WHERE status = 'resolved') AS resolved
     FROM alerts GROUP BY kind, rule ORDER BY kind, n DESC, rule`,
  );
  const total = byKind.reduce((sum, r) => sum + Number(r['n']), 0);
  const lines = [`${count(total)} alerts (alerts table; one row per alert, in its latest state): ${listing(byKind)}`];
  for (const kind of byKind.map((r) => String(r['name']))) {
    const mine = byRule.filter((r) => r['kind'] === kind);
    lines.push(`  ${kind.padEnd(9)}${listing(mine)}`);
  }
  return lines;
}

async function kpiAlertLines(connection: DuckDBConnection): Promise<string[]> {
  const kpi = await rows(
    connection,
    `SELECT rule AS name, count(*) AS n, count(*) FILTER (WHERE status = 'resolved') AS resolved,
            count(DISTINCT labels->>'queue') AS queues
     FROM alerts WHERE kind = 'analytic' AND (labels->>'kpi') IS NOT NULL GROUP BY rule ORDER BY n DESC, rule`,
  );
  if (kpi.length === 0) return ['no contact-center KPI rule fired'];
  return kpi.map((r) => `${terminalSafe(String(r['name']))}: fired ${count(r['n'])} times, ${count(r['resolved'])} resolved by the end of the data`);
}

/** Each move together the shift operator told of (GroupSpendJump, ...), with the customers' alerts it held back (`move_members`). */
async function moveLines(connection: DuckDBConnection): Promise<string[]> {
  const moves = await rows(
    connection,
    `SELECT a.rule AS name, a.window_start::DATE::VARCHAR AS onset, a.labels->>'measure' AS measure, a.labels->>'part' AS part,
            count(m.customer_id) AS n
     FROM alerts a LEFT JOIN move_members m USING (alert_id)
     WHERE a.annotations->>'detector' = 'together' GROUP BY ALL ORDER BY onset, name`,
  );
  if (moves.length === 0) return ['no part of the population moved together'];
  return [
    ...moves.map(
      (r) =>
        `${terminalSafe(String(r['name']))} from ${String(r['onset'])} (${terminalSafe(String(r['measure']))}, their ${String(r['part'])}): ` +
        `${count(r['n'])} customers' own alerts held back`,
    ),
    'the customers of each move are in the move_members table, under its alert_id',
  ];
}

async function driftLines(connection: DuckDBConnection): Promise<string[]> {
  const runs = await rows(
    connection,
    `SELECT run_id, min(current_start)::DATE::VARCHAR AS week, count(*) AS features, count(*) FILTER (WHERE drifted) AS drifted
     FROM drift_metrics GROUP BY run_id ORDER BY min(current_start)`,
  );
  if (runs.length === 0) return ['no drift run (the data covers less than two periods)'];
  const datasetDrift = new Set(
    (await rows(connection, `SELECT annotations->>'run_id' AS run_id FROM alerts WHERE rule = 'SegmentationRescoreNeeded'`)).map((r) => String(r['run_id'])),
  );
  const verdict = (r: Row): string =>
    `${String(r['week'])}: ${datasetDrift.has(String(r['run_id'])) ? 'DATASET DRIFT' : 'no dataset drift'} (${count(r['drifted'])} of ${count(r['features'])} features drifted)`;
  const drifted = runs.filter((r) => datasetDrift.has(String(r['run_id'])));
  return [
    `${runs.length} weekly runs, each week against the one before; dataset drift in ${drifted.length}` +
      (drifted.length > 0 ? ' (segmentation rescored, SegmentationRescoreNeeded alert)' : ''),
    ...drifted.map((r) => `  ${verdict(r)}`),
    `  latest, ${verdict(runs.at(-1)!)}`,
  ];
}

async function caseLines(connection: DuckDBConnection): Promise<string[]> {
  const [totals] = await rows(
    connection,
    `SELECT count(*) AS n, count(*) FILTER (WHERE status NOT IN ('closed', 'resolved')) AS open,
            count(*) FILTER (WHERE status NOT IN ('closed', 'resolved')
                             AND due_at < (SELECT max(fired_at) FROM alerts)) AS overdue
     FROM cases`,
  );
  if (Number(totals?.['n'] ?? 0) === 0) return ['no case opened'];
  const byTeam = await rows(connection, `SELECT team || ' (' || category || ')' AS name, count(*) AS n FROM cases GROUP BY ALL ORDER BY n DESC, name`);
  return [
    `${count(totals!['n'])} opened: ${listing(byTeam)}`,
    `${count(totals!['open'])} still open, ${count(totals!['overdue'])} of them past their deadline at the end of the data (escalated once)`,
  ];
}

function reportLines(reportsDir: string, shown: (path: string) => string): string[] {
  const files = existsSync(reportsDir) ? readdirSync(reportsDir).filter((f) => f.endsWith('.html')) : [];
  if (files.length === 0) return ['none written'];
  const kinds = new Map<string, number>();
  for (const file of files) {
    // The name's kind: its first word, but for a kind of two (closed-loop-..., not "closed").
    const kind = file.startsWith('closed-loop-') ? 'closed-loop' : file.split('-')[0]!;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const named = [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${n} ${kind === 'kpi' ? 'KPI' : kind}`);
  const described = named.length <= 1 ? (named[0] ?? '') : `${named.slice(0, -1).join(', ')} and ${named.at(-1) as string}`;
  return [
    `${described} reports (HTML, and Markdown) in ${shown(reportsDir)}/: one per firing KPI rule and per drift alert,`,
    "and the scheduled scorecards and signals summaries (colour-coded; the job's reports.schedule)",
  ];
}

async function deadLetterLines(connection: DuckDBConnection, facts: DemoFacts, shown: (path: string) => string): Promise<string[]> {
  if (facts.rejected === 0) return ['none'];
  const byReason = await rows(connection, `SELECT reason, count(*) AS n, min(detail) AS example FROM dead_letters GROUP BY reason ORDER BY n DESC, reason`);
  const width = Math.max(...byReason.map((r) => String(r['reason']).length));
  const lines = [`${count(facts.rejected)} records refused, by reason:`];
  for (const r of byReason) {
    const reason = String(r['reason']);
    lines.push(`  ${reason.padEnd(width)}  ${count(r['n']).padStart(6)}  ${REASONS[reason] ?? terminalSafe(String(r['example']))}`);
  }
  if (facts.injected) {
    const { duplicates, late, malformed, truthFile } = facts.injected;
    lines.push(
      `The sample has them on purpose: its generator injected ${count(duplicates)} duplicates, ${count(late)} late and ` +
        `${count(malformed)} malformed records (${shown(truthFile)}); a late one whose batch reaches back to its time counts, ` +
        'as the watermark moves between batches (event_time.allowed_lateness).',
    );
  }
  lines.push(`Each is in the dead_letters table (file:line, reason, the field at fault) and in ${shown(facts.rejectsFile)}.`);
  return lines;
}

function exploreLines(facts: DemoFacts, shown: (path: string) => string): string[] {
  const db = shellWord(shown(facts.db));
  const reports = shellWord(shown(facts.reportsDir));
  const pulse = 'npm run --silent pulse --';
  const lines = [
    `${pulse} cases list --db ${db} --overdue`,
    `${pulse} report kpi --db ${db} --out ${reports} --queue billing --kpi service_level`,
    `${pulse} report drift --db ${db} --out ${reports}`,
  ];
  if (onPath('duckdb')) {
    lines.push(`duckdb -readonly ${db}   (SQL: SELECT * FROM alerts LIMIT 10;)`);
  } else {
    // DuckDB's own CLI is not installed here; its Node client is (a dependency of pulse). The path
    // goes in as an argument, so that no quote in it can end the script's string.
    lines.push(
      `SQL without the duckdb CLI (not installed), from ${shellWord(facts.root)}:`,
      `  node --input-type=module -e "import {DuckDBInstance} from '@duckdb/node-api'; ` +
        `const c = await (await DuckDBInstance.create(process.argv[1], {access_mode: 'READ_ONLY'})).connect(); ` +
        `console.table((await c.runAndReadAll('SELECT kind, rule, count(*) AS n FROM alerts GROUP BY ALL ORDER BY n DESC')).getRowObjectsJS())" ${shellWord(facts.db)}`,
    );
  }
  return lines;
}

/** The demo's summary: what was read, what came out, where it is, and how to look further. */
export async function demoSummary(connection: DuckDBConnection, facts: DemoFacts): Promise<string> {
  const shown = (path: string): string => {
    const rel = relative(process.cwd(), path);
    return rel !== '' && !rel.startsWith('..') ? rel : path;
  };
  const [windows] = await rows(
    connection,
    `SELECT count(*) AS n, count(DISTINCT customer_id) AS customers,
            string_agg(DISTINCT (epoch_ms(window_end) - epoch_ms(window_start))::VARCHAR, ',') AS sizes FROM customer_windows`,
  );
  const [kpis] = await rows(
    connection,
    `SELECT count(*) AS n, count(DISTINCT queue) AS queues, count(DISTINCT channel) AS channels,
            string_agg(DISTINCT (epoch_ms(window_end) - epoch_ms(window_start))::VARCHAR, ',') AS sizes FROM contact_kpis`,
  );
  const sizes = (r: Row | undefined): string =>
    String(r?.['sizes'] ?? '')
      .split(',')
      .filter((s) => s !== '')
      .map(Number)
      .sort((a, b) => a - b)
      .map(formatWindowSize)
      .join(', ');
  const out = [
    `pulse demo: the default job (${shown(facts.job)}) over ${shown(facts.input)}`,
    '',
    ...section('Input', [`${count(facts.records)} records: ${count(facts.accepted)} accepted, ${count(facts.rejected)} dead-lettered (below)`]),
    ...section('Database', [
      shown(facts.db),
      `customer_windows  ${count(windows?.['n'])} rows: ${count(windows?.['customers'])} customers in ${sizes(windows)} windows`,
      `contact_kpis      ${count(kpis?.['n'])} rows: ${count(kpis?.['queues'])} queues x ${count(kpis?.['channels'])} channels in ${sizes(kpis)} windows`,
    ]),
    ...section('Alerts', await alertLines(connection)),
    ...section('KPI alerts', await kpiAlertLines(connection)),
    ...section('Moves', await moveLines(connection)),
    ...section('Drift', await driftLines(connection)),
    ...section('Cases', await caseLines(connection)),
    ...section('Reports', reportLines(facts.reportsDir, shown)),
    ...section('Dead letters', await deadLetterLines(connection, facts, shown)),
    ...section('Log', [`${shown(facts.logFile)} (the job's JSON log)`]),
    '',
    'Look further:',
    ...exploreLines(facts, shown).map((line) => `  ${line}`),
  ];
  return `${out.join('\n')}\n`;
}
