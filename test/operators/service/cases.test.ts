import { describe, expect, test } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import type { PulseEvent } from '../../../operators/events.js';
import { caseIdFor } from '../../../operators/service/case-status.js';
import { DAY, HOUR, T0, contact, drain, operatorFromYaml, persist, profile, restore, survey } from './helpers.js';

const YAML = `
team: care
survey_rules:
  - name: install_failed
    when: answers.install_completed == false
    case: { category: installation }
interaction_rules:
  - name: angry
    trigger: negative_text
    cooldown: 0
    case: true
cases:
  by_tier:
    Gold: { team: gold-desk }
    Platinum: { due_in: 4h, severity: urgent, team: vip }
`;

// Opened at T0 + 10h (hand-computed epoch ms: 2026-03-02T10:00:00Z = 1772445600000).
const OPENED = Date.UTC(2026, 2, 2, 10, 0, 0);

describe('case templates', () => {
  test('deadline, severity and team by tier (defaults Gold 24h urgent, Silver 48h high, Bronze 72h normal)', () => {
    expect(OPENED).toBe(1772445600000);
    const op = operatorFromYaml(YAML);
    op.process(profile('g', 'Gold'));
    op.process(profile('s', 'Silver'));
    op.process(profile('b', 'Bronze'));
    op.process(profile('p', 'Platinum'));
    op.process(profile('x', 'Diamond')); // a tier the config does not know: Bronze policy
    for (const id of ['g', 's', 'b', 'p', 'x', 'none']) op.process(survey(id, { install_completed: false }, OPENED, `S-${id}`));
    const { alerts, cases } = drain(op);
    const byCustomer = new Map(cases.map((c) => [c['customer_id'], c]));
    const expected: Record<string, [number, string, string]> = {
      g: [1772532000000, 'urgent', 'gold-desk'], // + 24h
      s: [1772618400000, 'high', 'care'], // + 48h
      b: [1772704800000, 'normal', 'care'], // + 72h
      p: [1772460000000, 'urgent', 'vip'], // + 4h
      x: [1772704800000, 'normal', 'care'],
      none: [1772704800000, 'normal', 'care'],
    };
    for (const [customer, [due, severity, team]] of Object.entries(expected)) {
      const row = byCustomer.get(customer)!;
      const alert = alerts.find((a) => a.customer_id === customer)!;
      expect(row).toEqual({
        case_id: caseIdFor(alert.alert_id),
        alert_id: alert.alert_id,
        customer_id: customer,
        category: 'installation',
        severity,
        status: 'open',
        team,
        opened_at: OPENED,
        due_at: due,
        closed_at: null,
      });
      // The alert notifies the case's team and names the case (routing by team and case_id).
      expect(alert.labels['team']).toBe(team);
      expect(alert.labels['case_id']).toBe(row['case_id']);
      expect(alert.annotations['case_due_at']).toBe(new Date(due).toISOString());
    }
    expect(byCustomer.size).toBe(6);
    expect(alerts.find((a) => a.customer_id === 'x')!.labels['tier']).toBe('Diamond');
  });

  test('tier names match whatever their case: profiles spelling `GOLD ` or `platinum` get those policies, a lower-case key in by_tier overrides the default', () => {
    const op = operatorFromYaml(YAML.replace('Gold: { team: gold-desk }', 'gold: { team: gold-desk }'));
    op.process(profile('g', 'GOLD '));
    op.process(profile('p', 'platinum'));
    op.process(profile('s', 'silver'));
    for (const id of ['g', 'p', 's']) op.process(survey(id, { install_completed: false }, OPENED, `S-${id}`));
    const due = new Map(drain(op).cases.map((c) => [c['customer_id'], [c['due_at'], c['team']]]));
    expect(due.get('g')).toEqual([OPENED + 24 * HOUR, 'gold-desk']);
    expect(due.get('p')).toEqual([OPENED + 4 * HOUR, 'vip']);
    expect(due.get('s')).toEqual([OPENED + 48 * HOUR, 'care']);
    expect(() => operatorFromYaml(YAML.replace('Gold: { team: gold-desk }', 'Gold: { team: a }\n    GOLD: { team: b }'))).toThrow(
      /'GOLD' and 'Gold' are one tier/,
    );
  });

  test('one open case per customer and category: a second firing reuses it', () => {
    const op = operatorFromYaml(YAML);
    op.process(contact('c', T0, { text: 'terrible, awful' }));
    op.process(contact('c', T0 + HOUR, { text: 'still terrible' }));
    const { alerts, cases } = drain(op);
    expect(alerts).toHaveLength(2);
    expect(cases).toHaveLength(1);
    expect(alerts[1]!.labels['case_id']).toBe(cases[0]!['case_id']);
    expect(cases[0]!['category']).toBe('angry'); // category defaults to the rule name
  });
});

describe('overdue escalation', () => {
  function opened() {
    const op = operatorFromYaml(YAML);
    op.process(profile('g', 'Gold'));
    op.process(survey('g', { install_completed: false }, OPENED, 'S1'));
    const { cases } = drain(op);
    return { op, caseId: String(cases[0]!['case_id']), due: Number(cases[0]!['due_at']) };
  }

  test('fires once when the watermark passes due_at, not at it, not at the end of input', () => {
    const { op, caseId, due } = opened();
    op.onWatermark(due);
    expect(op.overdueCases()).toEqual([]);
    op.onWatermark(Number.POSITIVE_INFINITY);
    expect(op.overdueCases()).toEqual([]);
    op.onWatermark(due + 1);
    expect(op.overdueCases().map((c) => c.case_id)).toEqual([caseId]);
    const settled = op.settleOverdue(new Map());
    expect(settled).toEqual([
      {
        case_id: caseId,
        escalated: true,
        alert_id: stableAlertId('case_overdue', due, caseId),
        status: 'open',
        from_team: 'gold-desk',
        team: 'gold-desk',
        due_at: due,
      },
    ]);
    const { alerts } = drain(op);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'case_overdue', kind: 'service', severity: 'critical', fired_at: due, customer_id: 'g' });
    expect(alerts[0]!.labels).toMatchObject({ alertname: 'case_overdue', case_id: caseId, team: 'gold-desk', tier: 'Gold' });
    op.onWatermark(due + 10 * DAY);
    expect(op.settleOverdue(new Map())).toEqual([]);
    expect(drain(op).alerts).toEqual([]);
  });

  test('a case people closed is not escalated; a reassigned one goes to the new team', () => {
    const { op, caseId, due } = opened();
    op.onWatermark(due + 1);
    expect(op.settleOverdue(new Map([[caseId, { status: 'closed', team: 'gold-desk' }]]))).toMatchObject([{ escalated: false }]);
    expect(drain(op).alerts).toEqual([]);
    expect(op.overdueCases()).toEqual([]);

    const other = opened();
    other.op.onWatermark(other.due + 1);
    other.op.settleOverdue(new Map([[other.caseId, { status: 'in_progress', team: 'field' }]]));
    expect(drain(other.op).alerts[0]!.labels['team']).toBe('field');
  });

  test.each([
    ['before the deadline passes', 0],
    ['after it passed, before the status check', 1],
  ])('survives a restart %s, and fires once', (_label, passedBefore) => {
    const { op, caseId, due } = opened();
    if (passedBefore) op.onWatermark(due + 1);
    const saved = new Map<string, Map<string, unknown>>();
    persist(op, saved);
    const again = operatorFromYaml(YAML);
    restore(again, saved);
    again.onWatermark(due + HOUR);
    expect(again.overdueCases().map((c) => c.case_id)).toEqual([caseId]);
    again.settleOverdue(new Map());
    expect(drain(again).alerts.map((a) => a.rule)).toEqual(['case_overdue']);
    // After the escalation is checkpointed, a third instance does not fire it again.
    persist(again, saved);
    const third = operatorFromYaml(YAML);
    restore(third, saved);
    third.onWatermark(due + 2 * DAY);
    expect(third.settleOverdue(new Map())).toEqual([]);
    expect(drain(third).alerts).toEqual([]);
  });
});

describe('replay', () => {
  const stream = (): PulseEvent[] => [
    profile('g', 'Gold'),
    survey('g', { install_completed: false }, OPENED, 'S1'),
    contact('g', OPENED + HOUR, { text: 'terrible, useless', contact_id: 'K1' }),
    survey('b', { install_completed: false }, OPENED + 2 * HOUR, 'S2'),
    contact('b', OPENED + 3 * HOUR, { text: 'awful', contact_id: 'K2' }),
  ];

  function run(events: PulseEvent[], restartAt?: number) {
    let op = operatorFromYaml(YAML);
    const saved = new Map<string, Map<string, unknown>>();
    const alerts: string[] = [];
    const cases: string[] = [];
    events.forEach((e, i) => {
      if (i === restartAt) {
        const out = drain(op);
        alerts.push(...out.alerts.map((a) => a.alert_id));
        cases.push(...out.cases.map((c) => String(c['case_id'])));
        persist(op, saved);
        op = operatorFromYaml(YAML);
        restore(op, saved);
      }
      op.process(e);
    });
    op.onWatermark(OPENED + 10 * DAY);
    op.settleOverdue(new Map());
    const out = drain(op);
    alerts.push(...out.alerts.map((a) => a.alert_id));
    cases.push(...out.cases.map((c) => String(c['case_id'])));
    return { alerts: alerts.sort(), cases: cases.sort() };
  }

  test('the same events give the same alert and case ids, with or without a restart', () => {
    const first = run(stream());
    expect(first.alerts).toHaveLength(4 + 4); // 4 triggers, 4 escalations (2 per customer: survey and angry cases)
    expect(new Set(first.alerts).size).toBe(8);
    expect(run(stream())).toEqual(first);
    expect(run(stream(), 3)).toEqual(first);
  });
});
