import { describe, expect, it } from 'vitest';
import { parseTaxonomyYaml, reasonMapper, taxonomyToYaml } from '../../operators/reason-taxonomy.js';

const YAML = `
reasons:
  - code: billing_dispute
    label: Billing dispute
    category: billing
    channel_codes: { voice: [BILL01, BILL02], chat: [billing-q] }
  - code: invoice_question
    label: Invoice question
    category: billing
    status: retired
    merged_into: billing_dispute
    channel_codes: { email: [INV] }
  - code: cancel
    label: Cancellation
    category: retention
  - code: old_promo
    label: Old promotion
    category: sales
    status: retired
`;

describe('reason taxonomy', () => {
  const taxonomy = parseTaxonomyYaml(YAML, 'reasons.yaml');
  const map = reasonMapper(taxonomy);

  it.each([
    ['voice', 'BILL02', { reason: 'billing_dispute', known: true }], // a channel's own code
    ['chat', 'billing-q', { reason: 'billing_dispute', known: true }],
    ['email', 'INV', { reason: 'billing_dispute', known: true }], // a merged reason's channel code follows the merge
    ['web', 'invoice_question', { reason: 'billing_dispute', known: true }], // a merged reason's own code too
    ['voice', 'cancel', { reason: 'cancel', known: true }], // a reason code on any channel
    ['chat', 'BILL01', { reason: 'BILL01', known: false }], // a voice code sent on chat is not known there
    ['voice', 'old_promo', { reason: 'old_promo', known: true }], // retired, not merged: still itself
    ['voice', 'no_such', { reason: 'no_such', known: false }],
  ])('%s code %s maps to %o', (channel, code, expected) => {
    expect(map(channel, code)).toEqual(expected);
  });

  it('fills defaults and reads back its own YAML', () => {
    expect(taxonomy.reasons[2]).toEqual({ code: 'cancel', label: 'Cancellation', category: 'retention', status: 'active', channel_codes: {} });
    expect(parseTaxonomyYaml(taxonomyToYaml(taxonomy), 'export')).toEqual(taxonomy);
  });

  it.each([
    ['reasons:\n  - { code: a, label: A, category: x }\n  - { code: a, label: B, category: x }\n', "reason 'a' is listed twice"],
    [
      'reasons:\n  - { code: a, label: A, category: x, channel_codes: { voice: [V] } }\n  - { code: b, label: B, category: x, channel_codes: { voice: [V] } }\n',
      "voice code 'V' is mapped to both 'a' and 'b'",
    ],
    [
      'reasons:\n  - { code: a, label: A, category: x, merged_into: b }\n  - { code: b, label: B, category: x }\n',
      "reason 'a' is merged into 'b' but not retired",
    ],
    ['reasons:\n  - { code: a, label: A, category: x, status: retired, merged_into: zz }\n', "merged into 'zz', which is not in the list"],
    [
      'reasons:\n  - { code: a, label: A, category: x, status: retired, merged_into: b }\n  - { code: b, label: B, category: x, status: retired }\n',
      "merged into 'b', which is retired",
    ],
    [
      'reasons:\n  - { code: a, label: A, category: x, colour: red }\n',
      'reasons[0].colour: unknown key; allowed keys are code, label, category, status, channel_codes, merged_into',
    ],
    ['reasons:\n  - { code: "a b", label: A, category: x }\n', 'reasons[0].code: "a b" is not valid; expected 1 to 64 letters, digits or _ . : -'],
    [
      'reasons:\n  - { code: a, label: A, category: x, channel_codes: { fax: [F] } }\n',
      'reasons[0].channel_codes.fax: unknown key; allowed keys are voice, chat, email, web, ivr, social',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => parseTaxonomyYaml(text, 'reasons.yaml')).toThrow(message);
  });
});
