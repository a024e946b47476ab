import { describe, expect, test } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import { DEFAULT_LEXICON, extendLexicon, scoreText } from '../../../operators/service/sentiment.js';
import { DAY, HOUR, T0, contact, drain, operatorFromYaml, profile } from './helpers.js';

describe('sentiment score (hand-computed from the AFINN-165 weights of the sentiment package)', () => {
  // AFINN-165: thanks +2, help +2, happy +3, good +3, bad -3, terrible -3, frustrated -2,
  // disappointed -2, fine +2; "quick", "never", "really", "very" are not in the list.
  test.each([
    ['Thanks for the quick help', 4],
    ['I am happy', 3],
    ['I am not happy', -3], // negator right before: sign flipped
    ["I don't think this is good", 3], // negation reaches one word only
    ["this isn't good", -3],
    ['not bad at all', 3],
    ['not happy, terrible service', -6],
    ['This is the third time I call and nothing is fixed, very frustrated', -2],
    ['The technician never showed up, really disappointed', -2],
    ['Customer asked about the latest invoice and the due date', 0],
    ['I\u2019m NOT HAPPY!!', -3], // typographic apostrophe, capitals
  ])('%s -> %d', (text, expected) => {
    expect(scoreText(text).score).toBe(expected);
  });

  test('the counted words are reported in text order, negated ones marked', () => {
    expect(scoreText('not happy, very frustrated').words).toEqual([
      { word: 'not happy', score: -3 },
      { word: 'frustrated', score: -2 },
    ]);
  });

  test('job overrides apply to their own lexicon only', () => {
    const custom = extendLexicon(DEFAULT_LEXICON, { outage: -4, Terrible: 0 });
    expect(scoreText('another outage, terrible', custom).score).toBe(-4);
    // AFINN's own outage -2 and terrible -3 are untouched for everyone else.
    expect(scoreText('another outage, terrible').score).toBe(-5);
  });
});

describe('interaction triggers', () => {
  test('N unresolved contacts within a window (half-open (t - within, t])', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: irate
    trigger: unresolved_contacts
    count: 3
    within: 7d
    cooldown: 0
`);
    const events = [
      contact('c', T0, { disposition: 'unresolved' }),
      contact('c', T0 + HOUR, { disposition: 'abandoned' }),
      contact('c', T0 + 2 * HOUR, { disposition: 'resolved' }), // does not count
      contact('c', T0 + 7 * DAY, { disposition: 'transferred' }), // T0 is now out: 2 in window
      contact('c', T0 + 7 * DAY + HOUR / 2, { disposition: 'unresolved' }), // window (T0+30m, ..]: T0+1h, T0+7d, this
      contact('d', T0 + 7 * DAY + 2 * HOUR, { disposition: 'unresolved' }), // another customer
      contact(null, T0 + 7 * DAY + 3 * HOUR, { disposition: 'unresolved' }), // unknown caller: ignored
    ];
    for (const e of events) op.process(e);
    const { alerts } = drain(op);
    expect(alerts).toHaveLength(1);
    const fired = events[4]!;
    expect(alerts[0]!.alert_id).toBe(stableAlertId('irate', fired.queued_at, 'c', fired.contact_id));
    expect(alerts[0]!.fired_at).toBe(fired.queued_at);
    expect(alerts[0]!.annotations['current']).toBe('3');
    expect(alerts[0]!.annotations['description']).toContain(events[1]!.contact_id);
    expect(alerts[0]!.annotations['description']).not.toContain(events[0]!.contact_id);
  });

  test('cooldown: one firing per rule and customer per cooldown (default = within)', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: irate
    trigger: unresolved_contacts
    count: 2
    within: 1d
`);
    const times = [0, 1, 2, 3, 30, 31].map((h) => T0 + h * HOUR);
    for (const t of times) op.process(contact('c', t, { disposition: 'unresolved' }));
    // Fires at 1h (2 in a day); 2h and 3h are within the 1d cooldown; at 30h only one contact is
    // in its day; at 31h two are (30h, 31h), 30h after the last firing: fires.
    expect(drain(op).alerts.map((a) => a.fired_at)).toEqual([T0 + HOUR, T0 + 31 * HOUR]);
  });

  test('repeat contact for the same reason within X days', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: repeat
    trigger: repeat_reason
    within: 3d
    cooldown: 0
`);
    const first = contact('c', T0, { reason: 'BILL_DISPUTE' });
    const other = contact('c', T0 + DAY, { reason: 'TECH_SLOW' });
    const repeat = contact('c', T0 + 3 * DAY, { reason: 'BILL_DISPUTE' }); // exactly 3 days: inside
    const late = contact('c', T0 + 7 * DAY, { reason: 'BILL_DISPUTE' }); // 4 days after the last one
    for (const e of [first, other, repeat, late]) op.process(e);
    const { alerts } = drain(op);
    expect(alerts.map((a) => a.annotations['contact_id'])).toEqual([repeat.contact_id]);
    expect(alerts[0]!.annotations['previous_contact_id']).toBe(first.contact_id);
    expect(alerts[0]!.labels['trigger']).toBe('repeat_reason');
  });

  test('escalation by disposition, reason or queue (whatever their case in the data); where and customer conditions', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: escalated
    trigger: escalation
    reasons: [ret_cancel]
    queues: [escalation]
    dispositions: [callback]
    where: queue != lab
    customer: tier == Gold
    cooldown: 0
    severity: critical
`);
    op.process(profile('g', 'Gold'));
    op.process(profile('s', 'Silver'));
    const fires = [
      contact('g', T0, { reason: 'RET_CANCEL' }),
      contact('g', T0 + 1, { disposition: 'callback' }),
      contact('g', T0 + 5, { queue: 'Escalation', reason: 'BILL_PAYMENT' }),
    ];
    const quiet = [
      contact('g', T0 + 2, { reason: 'BILL_PAYMENT' }),
      contact('g', T0 + 3, { reason: 'RET_CANCEL', queue: 'lab' }),
      contact('s', T0 + 4, { reason: 'RET_CANCEL' }),
    ];
    for (const e of [...fires, ...quiet]) op.process(e);
    const { alerts } = drain(op);
    expect(alerts.map((a) => a.annotations['contact_id'])).toEqual(fires.map((e) => e.contact_id));
    expect(alerts[0]!.annotations['description']).toContain('reason=RET_CANCEL');
    expect(alerts[1]!.annotations['description']).toContain('disposition=callback');
    expect(alerts[2]!.annotations['description']).toContain('queue=Escalation');
    expect(alerts[0]!.severity).toBe('critical');
  });

  test('negative wording, with negation', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: angry
    trigger: negative_text
    threshold: -4
    cooldown: 0
`);
    // -3, -6, +5 (not bad +3, thanks +2), -4 (broken -1, ridiculous -3)
    const texts = ['I am not happy with this', 'not happy, terrible service', 'not bad at all, thanks', 'Still broken, ridiculous'];
    texts.forEach((text, i) => op.process(contact('c', T0 + i, { text })));
    op.process(contact('c', T0 + 9)); // no text
    const { alerts } = drain(op);
    expect(alerts.map((a) => a.annotations['current'])).toEqual(['-6', '-4']);
    expect(alerts[0]!.annotations['description']).toContain('not happy (-3), terrible (-3)');
  });

  test('a long transcript makes an alert of bounded size: the ten angriest words, how many more, an excerpt', () => {
    const op = operatorFromYaml(`
interaction_rules:
  - name: angry
    trigger: negative_text
    cooldown: 0
`);
    // About 900 KB of words, 2 in 3 of them scored: what a chat transcript under the record limit can hold.
    const words = ['terrible', 'broken', 'refund', 'awful', 'good', 'waiting'];
    const text = Array.from({ length: 120_000 }, (_, i) => words[i % words.length]).join(' ') + ' ';
    op.process(contact('c', T0, { text }));
    const [alert] = drain(op).alerts;
    const description = alert!.annotations['description']!;
    expect(JSON.stringify(alert!.annotations).length).toBeLessThan(2_000);
    // AFINN: terrible -3, awful -3, broken -1, good +3 (refund and waiting are not scored).
    expect(description).toMatch(/: terrible \(-3\), awful \(-3\), terrible \(-3\), awful \(-3\), /);
    expect(description).toContain(`… and ${4 * 20_000 - 10} more`);
  });

  test('lexicon overrides from the job', () => {
    const op = operatorFromYaml(`
lexicon: { outage: -3, terrible: 0 }
interaction_rules:
  - name: angry
    trigger: negative_text
    cooldown: 0
`);
    op.process(contact('c', T0, { text: 'another outage' }));
    op.process(contact('c', T0 + 1, { text: 'terrible' }));
    expect(drain(op).alerts.map((a) => a.fired_at)).toEqual([T0]);
  });
});
