/** Plain-text tables of cases for a terminal (`--json` gives scripts the records instead). */
import { renderTable, terminalSafe } from '../terminal-text.js';
import type { CaseDetail, CaseRecord } from './store.js';

const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

export function formatCaseList(cases: readonly CaseRecord[], asOf: number): string {
  if (cases.length === 0) return 'no cases match\n';
  return renderTable(
    ['CASE', 'STATUS', 'SEVERITY', 'TEAM', 'CUSTOMER', 'CATEGORY', 'OPENED (UTC)', 'DUE (UTC)', 'ASSIGNEE'],
    cases.map((c) => [
      c.case_id,
      c.status,
      c.severity,
      c.team,
      c.customer_id ?? '-',
      c.category,
      time(c.opened_at),
      `${time(c.due_at)}${c.closed_at === null && c.due_at < asOf && !['closed', 'resolved'].includes(c.status) ? ' OVERDUE' : ''}`,
      c.assignee ?? '-',
    ]),
  );
}

export function formatCaseDetail(detail: CaseDetail): string {
  const c = detail.case;
  const fields: Array<[string, string]> = [
    ['case', c.case_id],
    ['status', c.status],
    ['severity', c.severity],
    ['team', c.team],
    ['assignee', c.assignee ?? '-'],
    ['customer', c.customer_id ?? '-'],
    ['category', c.category],
    ['opened', time(c.opened_at)],
    ['due', time(c.due_at)],
    ['closed', time(c.closed_at)],
    ['alert', c.alert_id ?? '-'],
  ];
  if (detail.alert) {
    fields.push(['rule', detail.alert.rule]);
    if (detail.alert.summary) fields.push(['summary', detail.alert.summary]);
    if (detail.alert.description) fields.push(['description', detail.alert.description]);
  }
  const width = Math.max(...fields.map(([k]) => k.length));
  let out = fields.map(([k, v]) => `${k.padEnd(width)}  ${terminalSafe(v)}`).join('\n') + '\n\n';
  out += 'history\n';
  // The team it opened in: the one its first recorded change started from, else the one it has.
  const openedTeam = detail.events.find((e) => e.from_team !== null)?.from_team ?? c.team;
  const opened: string[] = [time(c.opened_at), 'pulse', 'opened', `-> open`, openedTeam, '', ''];
  out += renderTable(
    ['AT (UTC)', 'ACTOR', 'ACTION', 'STATUS', 'TEAM', 'ASSIGNEE', 'NOTE'],
    [
      opened,
      ...detail.events.map((e) => [
        time(e.at),
        e.actor,
        e.action,
        e.from_status === e.to_status ? (e.to_status ?? '') : `${e.from_status ?? ''} -> ${e.to_status ?? ''}`,
        e.from_team === e.to_team ? (e.to_team ?? '') : `${e.from_team ?? ''} -> ${e.to_team ?? ''}`,
        e.assignee ?? '',
        e.note ?? '',
      ]),
    ],
  );
  return out;
}
