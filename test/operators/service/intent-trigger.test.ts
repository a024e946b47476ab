import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { Router } from '../../../sinks/alerts/routing/router.js';
import { ConfigError } from '../../../operators/errors.js';
import { DAY, HOUR, T0, contact, drain, operatorFromYaml, profile, survey, transaction } from './helpers.js';

const RULES = `
interaction_rules:
  - name: sales_lead
    trigger: intent
    intents: [new_sale, upsell_cross_sell]
    min_confidence: 0.6
    team: sales
  - name: retention_lead
    trigger: intent
    intents: [retention_risk]
    team: retention-desk
`;

describe('intent trigger (bundled model)', () => {
  test('an opportunity above the confidence fires to the team of its intent, with tier, spend, owner and excerpt', () => {
    const op = operatorFromYaml(RULES);
    op.process(profile('c', 'Gold'));
    op.process(transaction('c', 120, T0 - HOUR));
    op.process(contact('c', T0, { text: 'Please cancel my contract, I am switching to Vodafone, they offered me the same for less.', contact_id: 'K-ret' }));
    op.process(contact('d', T0 + 1, { text: "I'd like to add another line to my account for my son.", contact_id: 'K-up' }));
    op.process(contact('e', T0 + 2, { text: 'Please update my email address on the account.' }));
    const { alerts } = drain(op);
    expect(alerts.map((a) => [a.customer_id, a.rule, a.labels['team'], a.labels['intent']])).toEqual([
      ['c', 'retention_lead', 'retention-desk', 'retention_risk'],
      ['d', 'sales_lead', 'sales', 'upsell_cross_sell'],
    ]);
    const ret = alerts[0]!;
    expect(ret.labels['tier']).toBe('Gold');
    expect(ret.labels['account_owner']).toBe('owner@example.com');
    expect(ret.annotations['trailing_spend']).toBe('120.00');
    expect(ret.annotations['text_excerpt']).toContain('switching to Vodafone');
    expect(Number(ret.annotations['current'])).toBeGreaterThanOrEqual(0.7);
    expect(ret.annotations['contact_id']).toBe('K-ret');
  });

  test('an emoji where a quote is cut stays whole or goes: the alert and the lead are JSON DuckDB stores', async () => {
    // The excerpt is cut at 200 characters; an emoji is two UTF-16 code units, here at 198-199.
    // Cut between them, the lone half made DuckDB refuse the alert's annotations ("no low
    // surrogate") in every checkpoint, and every rerun stopped at the same record.
    const opening = "I want to cancel my subscription, I'm leaving for a competitor.";
    const text = `${opening.padEnd(198)}\u{1F621} really, cancel it today.`;
    const op = operatorFromYaml(RULES);
    op.process(contact('c', T0, { text }));
    const outputs = op.drainOutputs();
    const rows = outputs.flatMap((o) => (o.kind === 'alert' || o.kind === 'lead' ? o.rows : []));
    expect(outputs.map((o) => o.kind).sort()).toEqual(['alert', 'lead']);
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    for (const row of rows) {
      const json = JSON.stringify(row);
      expect(json.isWellFormed()).toBe(true);
      // DuckDB's JSON reader is the oracle: it refused the row before.
      const read = await conn.runAndReadAll('SELECT json_extract_string(CAST($1 AS JSON), $2)', [
        json,
        row['excerpt'] === undefined ? '$.annotations.text_excerpt' : '$.excerpt',
      ]);
      const quoted = read.getRows()[0]![0] as string;
      expect(quoted).toBe(`${opening.padEnd(198)}…`);
    }
    conn.closeSync();
  });

  test('a long transcript is quoted from the sentence that carries its intent, not from its greetings', () => {
    const small = [
      'Agent: Good morning, thank you for calling, my name is Sam, how can I help you today?',
      'Customer: Hi Sam, good morning, I hope you are well, the weather is lovely today.',
      'Agent: It is, thank you. Can I have your account number and the postcode please?',
      'Customer: Sure, it is 4411-2290 and the postcode is AB1 2CD, the house with the blue door.',
    ].join('\n');
    const ask = 'Please cancel my contract, I am switching to Vodafone, they offered me the same for less.';
    const op = operatorFromYaml(RULES);
    op.process(contact('c', T0, { text: `${small}\nCustomer: ${ask}\nAgent: I am sorry to hear that.` }));
    const outputs = op.drainOutputs();
    const alert = outputs.find((o) => o.kind === 'alert')!.rows[0]!;
    const lead = outputs.find((o) => o.kind === 'lead')!.rows[0]!;
    expect((alert['annotations'] as Record<string, string>)['text_excerpt']).toBe(`…Customer: ${ask}\nAgent: I am sorry to hear that.`);
    expect(lead['excerpt']).toBe(`…Customer: ${ask}\nAgent: I am sorry to hear that.`);
    // A short text is quoted whole, from its start.
    op.process(contact('d', T0 + 1, { text: ask }));
    expect(op.drainOutputs().find((o) => o.kind === 'lead')!.rows[0]!['excerpt']).toBe(ask);
  });

  test('one alert per rule and customer within the cooldown', () => {
    const op = operatorFromYaml(RULES.replace('team: retention-desk', 'team: retention-desk\n    cooldown: 7d'));
    const text = 'Please cancel my contract, I am switching to Verizon.';
    op.process(contact('c', T0, { text }));
    op.process(contact('c', T0 + 2 * DAY, { text }));
    op.process(contact('c', T0 + 8 * DAY, { text }));
    expect(drain(op).alerts.map((a) => a.fired_at)).toEqual([T0, T0 + 8 * DAY]);
  });

  test('configuration errors name the rule and key', () => {
    expect(() => operatorFromYaml(`interaction_rules: [{ name: x, trigger: intent }]`)).toThrow(/\(x\): trigger 'intent' needs intents/);
    expect(() => operatorFromYaml(`interaction_rules: [{ name: x, trigger: intent, intents: [buy_now] }]`)).toThrow(
      /\(x\)\.intents: 'buy_now' is not an intent of the model \(new_sale, upsell_cross_sell, retention_risk, service_issue, other\)/,
    );
    expect(() => operatorFromYaml(`interaction_rules: [{ name: x, trigger: negative_text, intents: [other] }]`)).toThrow(/'intents' applies to trigger intent/);
    expect(() => operatorFromYaml(`intent_model: /nonexistent.json\ninteraction_rules: [{ name: x, trigger: intent, intents: [other] }]`)).toThrow(ConfigError);
  });
});

describe('a model file from pulse intent train, loaded by the job', () => {
  test('the job uses the trained model and its labels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-intent-'));
    const labels = join(dir, 'labels.jsonl');
    // A business's own intents: the model knows only these two.
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => ({ text: `I want a quote for solar panels on house ${i}`, intent: 'solar_quote' })),
      ...Array.from({ length: 30 }, (_, i) => ({ text: `my meter reading ${i} is wrong on the bill`, intent: 'billing' })),
    ];
    writeFileSync(labels, rows.map((r) => JSON.stringify(r)).join('\n'));
    const model = join(dir, 'model.json');
    execFileSync(process.execPath, ['dist/pipelines/cli.js', 'intent', 'train', '--labels', labels, '--out', model], { stdio: 'pipe' });
    const op = operatorFromYaml(`
intent_model: ${model}
interaction_rules:
  - name: solar
    trigger: intent
    intents: [solar_quote]
    min_confidence: 0.5
`);
    op.process(contact('c', T0, { text: 'Could I get a quote for solar panels?' }));
    op.process(contact('d', T0, { text: 'The meter reading on my bill is wrong' }));
    const { alerts } = drain(op);
    expect(alerts.map((a) => [a.customer_id, a.labels['intent']])).toEqual([['c', 'solar_quote']]);
    expect(() => operatorFromYaml(`intent_model: ${model}\ninteraction_rules: [{ name: x, trigger: intent, intents: [new_sale] }]`)).toThrow(
      /'new_sale' is not an intent of the model \(billing, solar_quote\)/,
    );
  }, 60_000);
});

describe('leads through the routing tree', () => {
  test('sales leads reach the sales receiver, retention leads the retention desk, with their labels', () => {
    const router = Router.fromConfig(
      parse(`
route:
  receiver: default
  routes:
    - matchers: ['kind="service"', 'intent=~"new_sale|upsell_cross_sell"']
      receiver: sales
      group_by: [account_owner]
    - matchers: ['kind="service"', 'team="retention-desk"']
      receiver: retention-desk
`),
      new Set(['default', 'sales', 'retention-desk']),
    );
    const op = operatorFromYaml(RULES);
    op.process(profile('c', 'Silver'));
    op.process(contact('c', T0, { text: 'Please cancel my contract, I am switching to Verizon, they are cheaper.' }));
    op.process(contact('d', T0 + 1, { text: 'We are opening a new office in Leeds and need a quote for 20 business lines.' }));
    op.process(contact('e', T0 + 2, { text: 'The router lights are red and nothing works.' })); // service issue: no lead
    const routed = drain(op).alerts.map((a) => [a.customer_id, router.routeLabels(a.labels).map((m) => m.receiver), a.labels['lead_id']]);
    expect(routed).toEqual([
      ['c', ['retention-desk'], expect.stringMatching(/^lead-[0-9a-f]{16}$/)],
      ['d', ['sales'], expect.stringMatching(/^lead-[0-9a-f]{16}$/)],
    ]);
  });
});

describe('text facts in conditions', () => {
  test('survey comments: comment_intent, comment_intent_confidence and comment_sentiment', () => {
    const op = operatorFromYaml(`
survey_rules:
  - name: detractor_leaving
    when: answers.nps <= 6 and comment_intent == retention_risk and comment_intent_confidence >= 0.5
  - name: unhappy_comment
    when: comment_sentiment <= -3
`);
    op.process(survey('c', { nps: 3 }, T0, 'S1', 'Please cancel my contract, I am switching to Verizon.'));
    op.process(survey('d', { nps: 9 }, T0, 'S2', 'Please cancel my contract, I am switching to Verizon.')); // nps too high
    op.process(survey('e', { nps: 2 }, T0, 'S3', 'Terrible service, not happy.')); // -3 - 3 = -6
    op.process(survey('f', { nps: 2 }, T0, 'S4')); // no comment: every clause on it is false
    expect(drain(op).alerts.map((a) => [a.customer_id, a.rule])).toEqual([
      ['c', 'detractor_leaving'],
      ['e', 'unhappy_comment'],
    ]);
  });

  test('contacts: text_sentiment and text_intent in where', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: angry_billing
    trigger: escalation
    queues: [billing]
    where: text_sentiment <= -3 and text_intent != other
`);
    op.process(contact('c', T0, { text: 'I was charged twice, terrible, awful.' }));
    op.process(contact('d', T0, { text: 'I was charged twice, please refund the duplicate payment.' }));
    expect(drain(op).alerts.map((a) => a.customer_id)).toEqual(['c']);
  });

  test('a condition on an unknown text fact names the fields', () => {
    expect(() => operatorFromYaml(`survey_rules: [{ name: x, when: comment_mood == bad }]`)).toThrow(
      /unknown field 'comment_mood'.*comment_intent, comment_intent_confidence, comment_sentiment/,
    );
  });
});
