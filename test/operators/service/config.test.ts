import { ProfileStore } from '../../../operators/customer-profiles.js';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../operators/errors.js';
import { resolveServiceTriggers, ServiceConfigError } from '../../../operators/service/config.js';
import { tierPolicy } from '../../../operators/service/cases.js';
import { SERVICE_TRIGGERS_OPERATOR } from '../../../operators/service/factory.js';

const fails = (yaml: string): string => {
  try {
    resolveServiceTriggers(parse(yaml));
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(error).toBeInstanceOf(ConfigError); // exit code 2 through the CLI
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('service_triggers config', () => {
  test('defaults', () => {
    const s = resolveServiceTriggers(parse('survey_rules: [{ name: r, when: "answers.q == 1" }]'));
    expect(s.team).toBe('customer-care');
    expect(s.trailingSpendDays).toBe(90);
    expect(['Gold', 'Silver', 'Bronze'].map((tier) => [tier, tierPolicy(s.cases, tier).dueInMs / 3_600_000, tierPolicy(s.cases, tier).severity])).toEqual([
      ['Gold', 24, 'urgent'],
      ['Silver', 48, 'high'],
      ['Bronze', 72, 'normal'],
    ]);
    expect(s.cases.byTier.size).toBe(3);
    expect(s.cases.defaultTier).toBe('Bronze');
    expect(s.surveyRules[0]!.cooldownMs).toBe(0);
    expect(s.surveyRules[0]!.severity).toBe('warning');
  });

  test.each([
    [
      `survey_rules: [{ name: install, when: "answers.q == 1", sevrity: critical }]`,
      `service_triggers.survey_rules[0] (install).sevrity: unknown key (did you mean severity?); allowed keys are name, description`,
    ],
    [`survey_rules: [{ name: install }]`, `service_triggers.survey_rules[0] (install): the key 'when' is required`],
    [`survey_rules: [{ name: install, when: "answer.q == 1" }]`, `service_triggers.survey_rules[0] (install).when: unknown field 'answer.q'`],
    [`survey_rules: [{ name: install, when: "answers.q <= high" }]`, `(install).when: '<=' needs a number, found 'high' at column 14`],
    [`survey_rules: [{ name: install, when: "answers.q == 1", customer: ["tier in [Gold", "x == 1"] }]`, `(install).customer[0]: expected ',' or ']'`],
    [`survey_rules: [{ name: install, when: "answers.q == 1", customer: "answers.q == 1" }]`, `(install).customer: unknown field 'answers.q'`],
    [`interaction_rules: [{ name: irate, trigger: unresolved_contacts, within: 7 days }]`, `interaction_rules[0] (irate).within: "7 days" is not a duration`],
    [
      `interaction_rules: [{ name: irate, trigger: angry }]`,
      `interaction_rules[0] (irate).trigger: "angry" is not one of unresolved_contacts, repeat_reason, escalation, negative_text`,
    ],
    [
      `interaction_rules: [{ name: irate, trigger: negative_text, count: 3 }]`,
      `(irate).count: 'count' applies to trigger unresolved_contacts, not to 'negative_text'`,
    ],
    [`interaction_rules: [{ name: esc, trigger: escalation }]`, `(esc): trigger 'escalation' needs at least one of dispositions, reasons or queues`],
    [`interaction_rules: [{ name: w, trigger: repeat_reason, where: "answers.q == 1" }]`, `(w).where: unknown field 'answers.q'`],
    [`survey_rules: [{ name: a, when: "answers.q == 1" }, { name: a, when: "answers.q == 2" }]`, `survey_rules[1] (a).name: the rule name 'a' is used twice`],
    [`survey_rules: [{ name: case_overdue, when: "answers.q == 1" }]`, `'case_overdue' is reserved`],
    [`survey_rules: [{ name: a, when: "answers.q == 1", case: "yes" }]`, `(a).case: "yes" must be true, false or a mapping`],
    [`cases: { default_tier: Platinum }`, `service_triggers.cases.default_tier: 'Platinum' is not a tier of by_tier (Gold, Silver, Bronze)`],
    [`cases: { by_tier: { Platinum: { due_in: 4h } } }`, `cases.by_tier.Platinum: a tier without defaults needs both due_in and severity`],
    [`cases: { by_tier: { Gold: { severity: asap } } }`, `cases.by_tier.Gold.severity: "asap" is not one of urgent, high, normal, low`],
  ])('%s', (yaml, message) => {
    expect(fails(yaml)).toContain(message);
  });

  test('the registry entry builds the operator and reports through build', () => {
    const op = SERVICE_TRIGGERS_OPERATOR.build('svc', parse('survey_rules: [{ name: r, when: "answers.q == 1" }]'), { allowedLatenessMs: 0 }).createLocal({
      profiles: new ProfileStore(false),
    });
    expect(op.name).toBe('svc');
    expect(Object.keys(op.states).sort()).toEqual(['cases', 'contacts', 'cooldowns', 'profiles', 'spend']);
    expect(() => SERVICE_TRIGGERS_OPERATOR.build('svc', { survey_rules: 3 }, { allowedLatenessMs: 0 })).toThrow(/survey_rules/);
  });
});

test('the README example is a valid configuration', async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../../operators/service/README.md', import.meta.url), 'utf8');
  const block = /```yaml\noperators:\n([\s\S]*?)```/.exec(readme)![1]!;
  const [entry] = parse(block) as Array<Record<string, unknown>>;
  const { type: _t, name: _n, ...settings } = entry!;
  const s = resolveServiceTriggers(settings);
  expect(s.surveyRules.map((r) => r.name)).toEqual(['install_failed', 'hard_install']);
  expect(s.interactionRules.map((r) => r.trigger)).toEqual(['unresolved_contacts', 'repeat_reason', 'escalation', 'intent', 'negative_text']);
  expect(s.classifier?.model.labels).toContain('new_sale');
  expect(tierPolicy(s.cases, 'Gold').team).toBe('gold-desk');
});
