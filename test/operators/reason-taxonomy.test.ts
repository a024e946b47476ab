import { describe, expect, it } from 'vitest';
import { checkTaxonomy, parseTaxonomyYaml, reasonMapper, taxonomyEdits, taxonomyToYaml } from '../../operators/reason-taxonomy.js';
import { CONTACT_CHANNELS } from '../../operators/events.js';

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

  describe('edits', () => {
    const CODES = 'its codes: billing_dispute, invoice_question, cancel, old_promo';

    it.each([
      ['rename', () => taxonomyEdits.rename(taxonomy, 'NOPE', 'ghost'), `there is no reason 'NOPE' in the list; ${CODES}`],
      ['retire', () => taxonomyEdits.retire(taxonomy, 'NOPE'), `there is no reason 'NOPE' in the list; ${CODES}`],
      ['merge from', () => taxonomyEdits.merge(taxonomy, 'NOPE', 'cancel'), `there is no reason 'NOPE' in the list; ${CODES}`],
      ['merge into', () => taxonomyEdits.merge(taxonomy, 'cancel', 'NOPE'), `there is no reason 'NOPE' in the list; ${CODES}`],
      ['map into', () => taxonomyEdits.mapCode(taxonomy, 'X9', 'NOPE'), `there is no reason 'NOPE' in the list; ${CODES}`],
      ['map into a retired one', () => taxonomyEdits.mapCode(taxonomy, 'X9', 'old_promo'), "reason 'old_promo' is retired: merge into an active reason"],
      ['map a reason', () => taxonomyEdits.mapCode(taxonomy, 'cancel', 'billing_dispute'), "'cancel' is a reason of the list: merge the reason instead"],
      [
        'retire in the wrong case',
        () => taxonomyEdits.retire(taxonomy, 'CANCEL'),
        `there is no reason 'CANCEL' in the list (codes are case-sensitive: did you mean 'cancel'?); ${CODES}`,
      ],
    ])('%s a code the list lacks is refused, naming it and the codes the list has', (_edit, edit, message) => {
      expect(edit).toThrow(message);
    });

    it('an error names the first 30 codes of a long list and how many more there are', () => {
      const long = { reasons: Array.from({ length: 32 }, (_, i) => ({ ...taxonomy.reasons[2]!, code: `r${i}` })) };
      expect(() => taxonomyEdits.retire(long, 'NOPE')).toThrow(/its codes: r0, r1, .*, r29 and 2 more$/);
    });

    it('mapping a code onto a reason makes its contacts count there on every channel; the rest is as it was', () => {
      const mapped = checkTaxonomy(taxonomyEdits.mapCode(taxonomy, 'XYZ', 'cancel'), 'mapped');
      for (const channel of CONTACT_CHANNELS) expect(reasonMapper(mapped)(channel, 'XYZ')).toEqual({ reason: 'cancel', known: true });
      expect(mapped.reasons.filter((r) => r.code !== 'cancel')).toEqual(taxonomy.reasons.filter((r) => r.code !== 'cancel'));
      // A code another reason has on a channel is not taken from it: the check names both.
      expect(() => checkTaxonomy(taxonomyEdits.mapCode(taxonomy, 'BILL01', 'cancel'), 'mapped')).toThrow(
        "voice code 'BILL01' is mapped to both 'billing_dispute' and 'cancel'",
      );
    });
  });
});
