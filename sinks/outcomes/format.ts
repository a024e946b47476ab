/** Outcomes and the closed-loop figures as terminal tables (`pulse outcomes list|record|summary`). */
import { renderTable } from '../terminal-text.js';
import type { OutcomeFigures, OutcomeThresholds } from './figures.js';
import type { OutcomeRecord } from './store.js';
import { clipText } from '../../operators/text-clip.js';

const percent = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** Seconds as a short duration: 45s, 12.5m, 3.2h, 2.1d. */
export function shortDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)}m`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}

export function formatOutcomeFigures(f: OutcomeFigures, t: OutcomeThresholds): string {
  const rules = renderTable(
    ['rule', 'kind', 'alerts', 'judged', 'useful+won (inferred too)', 'precision', 'tuning'],
    f.rules.map((r) => [r.rule, r.kind, String(r.alerts), String(r.judged), String(r.positive), percent(r.precision), r.flagged ? 'FLAG' : '']),
  );
  const intents = renderTable(
    ['intent', 'team', 'leads', 'judged', 'precision', 'won', 'won_inferred', 'lost', 'conversion', 'revenue'],
    f.intents.map((r) => [
      r.intent,
      r.team,
      String(r.leads),
      String(r.judged),
      percent(r.precision),
      String(r.won),
      String(r.won_inferred),
      String(r.lost),
      percent(r.conversion),
      r.revenue.toFixed(2),
    ]),
  );
  const delays = renderTable(
    ['kind', 'acted_on', 'median_to_first_action'],
    f.delays.map((d) => [d.subject_kind, String(d.acted), shortDuration(d.median_seconds)]),
  );
  return [
    `Precision per alert rule (FLAG: precision below ${percent(t.minPrecision)} over at least ${t.minJudged} judged alerts)`,
    f.rules.length > 0 ? rules : 'no alerts\n',
    'Leads per intent and team',
    f.intents.length > 0 ? intents : 'no leads\n',
    'Time to first action by a person',
    f.delays.length > 0 ? delays : 'no outcomes recorded by people\n',
  ].join('\n');
}

/** A readable table of outcomes. */
export function formatOutcomes(rows: readonly OutcomeRecord[]): string {
  if (rows.length === 0) return 'no outcomes\n';
  const header = ['at', 'kind', 'subject', 'outcome', 'value', 'actor', 'source', 'note'];
  const body = rows.map((r) => [
    r.at,
    r.subject_kind,
    r.subject_id,
    r.outcome,
    r.value === null ? '' : r.value.toFixed(2),
    r.actor,
    r.source,
    clipText(r.note ?? '', 40, ''),
  ]);
  return renderTable(header, body);
}
