import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import type { PulseEvent } from '../../../operators/events.js';
import { DAY, HOUR, T0, drain, operatorFromYaml, persist, profile, restore, survey, transaction } from './helpers.js';

const RULES = `
team: care
survey_rules:
  - name: install_failed
    when: answers.install_completed == false
    customer:                       # a block list: in a YAML flow list the inner [..] would not parse
      - tier in [Gold, Silver]
      - trailing_spend >= 1000
    severity: critical
  - name: hard_install
    when: answers.ease_of_install <= 5
  - name: detractor_threat
    when: answers.nps < 7 and comment contains "cancel"
    team: retention
`;

describe('survey triggers', () => {
  test('answers.X == false combined with tier and trailing spend', () => {
    const op = operatorFromYaml(RULES);
    const at = T0 + 100 * DAY;
    const events: PulseEvent[] = [
      profile('gold', 'Gold'),
      profile('silver', 'Silver'),
      profile('bronze', 'Bronze'),
      // gold: 600 + 500 within 90 days; 2000 on day -100 is outside; a refund is not spend.
      transaction('gold', 600, at - 10 * DAY),
      transaction('gold', 500, at - 89 * DAY),
      transaction('gold', 2000, at - 100 * DAY),
      transaction('gold', -300, at - 1 * DAY),
      transaction('silver', 900, at - 2 * DAY),
      transaction('bronze', 5000, at - 2 * DAY),
      transaction('nobody', 5000, at - 2 * DAY),
    ];
    for (const e of events) op.process(e);
    for (const id of ['gold', 'silver', 'bronze', 'nobody']) op.process(survey(id, { install_completed: false, ease_of_install: 8 }, at, `S-${id}`));
    const { alerts } = drain(op);
    expect(alerts.map((a) => a.customer_id)).toEqual(['gold']);
    const alert = alerts[0]!;
    expect(alert.alert_id).toBe(stableAlertId('install_failed', at, 'gold', 'S-gold'));
    expect(alert).toMatchObject({ kind: 'service', rule: 'install_failed', severity: 'critical', fired_at: at, window_start: at, status: 'firing' });
    expect(alert.labels).toEqual({
      alertname: 'install_failed',
      kind: 'service',
      severity: 'critical',
      tier: 'Gold',
      account_owner: 'owner@example.com',
      team: 'care',
      trigger: 'survey',
    });
    expect(alert.annotations['trailing_spend']).toBe('1100.00');
    expect(alert.annotations['description']).toContain('answers.install_completed=false');
    expect(alert.annotations['description']).toContain('trailing_spend=1100;');
    expect(alert.annotations['description']).toContain('tier=Gold');
  });

  test('answers.X <= N: numbers and numeric strings, missing answers never fire', () => {
    const op = operatorFromYaml(RULES);
    const cases: Array<[Record<string, number | string | boolean>, boolean]> = [
      [{ ease_of_install: 5 }, true],
      [{ ease_of_install: 4 }, true],
      [{ ease_of_install: '3' }, true],
      [{ ease_of_install: 6 }, false],
      [{ ease_of_install: 'hard' }, false],
      [{ nps: 2 }, false],
    ];
    cases.forEach(([answers], i) => op.process(survey('c', answers, T0 + i * HOUR, `S${i}`)));
    const fired = drain(op)
      .alerts.filter((a) => a.rule === 'hard_install')
      .map((a) => a.annotations['survey_id']);
    expect(fired).toEqual(cases.flatMap(([, fires], i) => (fires ? [`S${i}`] : [])));
  });

  test('boolean answers given as yes/no strings; comment contains', () => {
    const op = operatorFromYaml(`
survey_rules:
  - name: not_installed
    when: answers.install_completed == false
  - name: detractor_threat
    when: answers.nps < 7 and comment contains "cancel"
`);
    op.process(survey('a', { install_completed: 'No' }, T0, 'S1'));
    op.process(survey('a', { install_completed: 'yes' }, T0 + 1, 'S2'));
    op.process(survey('a', { nps: 3 }, T0 + 2, 'S3', 'I will CANCEL if this goes on'));
    op.process(survey('a', { nps: 9 }, T0 + 3, 'S4', 'cancel? never'));
    op.process(survey('a', { nps: 3 }, T0 + 4, 'S5', 'meh'));
    expect(drain(op).alerts.map((a) => `${a.rule}:${a.annotations['survey_id']}`)).toEqual(['not_installed:S1', 'detractor_threat:S3']);
  });

  test('or, not and profile attributes; survey_ids limits a rule', () => {
    const op = operatorFromYaml(`
survey_rules:
  - name: r
    when: (answers.nps <= 3 or answers.csat == 1) and not region == south and profile.segment == family
    survey_ids: [post_install]
`);
    op.process(profile('a', 'Gold'));
    op.process(survey('a', { nps: 2 }, T0, 'post_install'));
    op.process(survey('a', { nps: 2 }, T0 + 1, 'other'));
    op.process(survey('a', { nps: 8, csat: 1 }, T0 + 2, 'post_install'));
    op.process(survey('a', { nps: 8, csat: 2 }, T0 + 3, 'post_install'));
    expect(drain(op).alerts.map((a) => a.fired_at)).toEqual([T0, T0 + 2]);
  });

  test('profile attributes named like properties of every object: kept, and absent ones are absent, also after a restart', () => {
    const yaml = `
survey_rules:
  - name: vip
    when: answers.q == 1 and profile.__proto__ == vip
  - name: has_constructor
    when: answers.q == 2 and profile.constructor != none
`;
    const op = operatorFromYaml(yaml);
    op.process({ ...profile('a', 'Gold'), attributes: JSON.parse('{"__proto__":"vip"}') as Record<string, string> });
    op.process(survey('a', { q: 1 }, T0));
    // 'a' has no attribute `constructor`: the condition reads nothing, not Object's constructor.
    op.process(survey('a', { q: 2 }, T0 + 1));
    expect(drain(op).alerts.map((a) => a.rule)).toEqual(['vip']);
    // Restored attributes come from JSON, as an ordinary object.
    const saved = new Map<string, Map<string, unknown>>();
    persist(op, saved);
    const again = operatorFromYaml(yaml);
    restore(again, saved);
    again.process(survey('a', { q: 1 }, T0 + 2));
    again.process(survey('a', { q: 2 }, T0 + 3));
    expect(drain(again).alerts.map((a) => a.rule)).toEqual(['vip']);
  });

  test('a customer without a profile counts as the default tier (Bronze)', () => {
    const op = operatorFromYaml(`
survey_rules:
  - name: bronze_only
    when: answers.q == 1
    customer: tier == Bronze
`);
    op.process(survey('unknown', { q: 1 }, T0));
    const [alert] = drain(op).alerts;
    expect(alert?.labels['tier']).toBe('Bronze');
    expect(alert?.labels['account_owner']).toBeUndefined();
  });

  test('trailing 90-day spend matches a DuckDB SQL oracle over the same arrival order', async () => {
    const op = operatorFromYaml(`
survey_rules:
  - name: every_survey
    when: answers.q == 1
`);
    // Deterministic pseudo-random stream: 3 customers, 200 days, transactions, refunds, surveys.
    let x = 12345;
    const rand = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: Array<{ arrival: number; kind: string; customer: string; ts: number; amount: number; survey: string }> = [];
    for (let i = 0; i < 1500; i++) {
      const customer = `c${Math.floor(rand() * 3)}`;
      // Mostly in order, with out-of-order stragglers up to 3 days back.
      const ts = T0 + Math.floor((i / 1500) * 200 * DAY) - Math.floor(rand() < 0.2 ? rand() * 3 * DAY : 0);
      if (rand() < 0.15) {
        const id = `S${i}`;
        rows.push({ arrival: i, kind: 'survey', customer, ts, amount: 0, survey: id });
        op.process(survey(customer, { q: 1 }, ts, id));
      } else {
        const amount = Math.round((rand() < 0.1 ? -1 : 1) * rand() * 20000) / 100;
        rows.push({ arrival: i, kind: 'tx', customer, ts, amount, survey: '' });
        op.process(transaction(customer, amount, ts));
      }
      if (i % 100 === 99) op.onWatermark(ts - 4 * DAY); // expiry runs, with lateness margin
    }
    const got = new Map(drain(op).alerts.map((a) => [a.annotations['survey_id']!, Number(a.annotations['trailing_spend'])]));

    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE ev (arrival INTEGER, kind VARCHAR, customer VARCHAR, ts BIGINT, amount DOUBLE, survey VARCHAR)`);
    const appender = await conn.createAppender('ev');
    for (const r of rows) {
      appender.appendInteger(r.arrival);
      appender.appendVarchar(r.kind);
      appender.appendVarchar(r.customer);
      appender.appendBigInt(BigInt(r.ts));
      appender.appendDouble(r.amount);
      appender.appendVarchar(r.survey);
      appender.endRow();
    }
    appender.closeSync();
    const reader = await conn.runAndReadAll(`
      SELECT s.survey, coalesce(sum(t.amount), 0) AS spend
      FROM ev s LEFT JOIN ev t
        ON t.kind = 'tx' AND t.customer = s.customer AND t.arrival < s.arrival AND t.amount >= 0
       AND t.ts // 86400000 BETWEEN s.ts // 86400000 - 89 AND s.ts // 86400000
      WHERE s.kind = 'survey' GROUP BY s.survey`);
    const oracle = reader.getRowObjectsJS();
    conn.closeSync();
    instance.closeSync();
    expect(oracle.length).toBe(got.size);
    expect(oracle.length).toBeGreaterThan(150);
    for (const row of oracle) expect(got.get(String(row['survey']))).toBeCloseTo(Number(row['spend']), 2);
  });

  test('a survey of a hundred thousand answers and a long comment makes an alert of bounded size', () => {
    const op = operatorFromYaml(RULES);
    const answers: Record<string, string | number | boolean> = { ease_of_install: 2 };
    for (let i = 0; i < 100_000; i++) answers[`q${i}`] = i % 2 === 0 ? 'x'.repeat(5) : i;
    op.process(survey('c', answers, T0, 'S-big', 'y'.repeat(500_000)));
    const [alert] = drain(op).alerts;
    expect(alert!.rule).toBe('hard_install');
    expect(JSON.stringify(alert!.annotations).length).toBeLessThan(4_000);
    expect(alert!.annotations['description']).toContain('answers.ease_of_install=2');
    const shown = JSON.parse(alert!.annotations['answers']!) as Record<string, unknown>;
    expect(shown['ease_of_install']).toBe(2);
    const kept = Object.keys(shown).length - 1;
    expect(shown['…']).toBe(`${100_001 - kept} more answers`);
  });
});
