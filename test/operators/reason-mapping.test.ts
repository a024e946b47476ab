import { describe, expect, it } from 'vitest';
import { NO_REASON, type ContactEvent, type PulseEvent } from '../../operators/events.js';
import { ContactReasonMapping, mergeUnknownCounts } from '../../operators/reason-mapping.js';
import { parseTaxonomyYaml } from '../../operators/reason-taxonomy.js';
import { answeredContact } from '../helpers/contact-event.js';

const V1 = parseTaxonomyYaml(
  `reasons:
  - { code: billing_dispute, label: Billing dispute, category: billing, channel_codes: { voice: [BILL01] } }
  - { code: cancel, label: Cancellation, category: retention }
`,
  'v1',
);

function contact(channel: ContactEvent['channel'], reason: string, ts: number): ContactEvent {
  return answeredContact(ts, { channel, queue: 'billing', reason });
}

describe('contact reason mapping', () => {
  it('without a reason list leaves every contact exactly as it arrived and counts nothing', () => {
    const mapping = new ContactReasonMapping();
    const event = contact('voice', 'BILL01', 1);
    const before = structuredClone(event);
    mapping.apply(event);
    expect(event).toEqual(before);
    expect('taxonomy_version' in event).toBe(false);
    expect(mapping.drainUnknown()).toEqual([]);
  });

  it('maps channel codes to the canonical reason, stamps the version, counts unknown codes per channel and code', () => {
    const mapping = new ContactReasonMapping();
    mapping.use({ version: 3, taxonomy: V1 });
    const events = [
      contact('voice', 'BILL01', 10),
      contact('chat', 'cancel', 20),
      contact('chat', 'XYZ', 30),
      contact('chat', 'XYZ', 5),
      contact('voice', 'XYZ', 40),
      contact('chat', 'BILL01', 50),
    ];
    for (const e of events) mapping.apply(e);
    expect(events.map((e) => [e.reason, e.taxonomy_version])).toEqual([
      ['billing_dispute', 3],
      ['cancel', 3],
      ['XYZ', 3],
      ['XYZ', 3],
      ['XYZ', 3],
      ['BILL01', 3],
    ]);
    const unknown = mapping.drainUnknown().sort((a, b) => `${a.channel}${a.code}`.localeCompare(`${b.channel}${b.code}`));
    expect(unknown).toEqual([
      { channel: 'chat', code: 'BILL01', count: 1, first_seen: 50, last_seen: 50, version: 3 },
      { channel: 'chat', code: 'XYZ', count: 2, first_seen: 5, last_seen: 30, version: 3 },
      { channel: 'voice', code: 'XYZ', count: 1, first_seen: 40, last_seen: 40, version: 3 },
    ]);
    // Drained: the next checkpoint starts from nothing.
    expect(mapping.drainUnknown()).toEqual([]);
  });

  it('does not count a contact without a reason as an unknown code (there is no code to add to the list)', () => {
    const mapping = new ContactReasonMapping();
    mapping.use({ version: 1, taxonomy: V1 });
    const event = contact('voice', NO_REASON, 10);
    mapping.apply(event);
    expect([event.reason, event.taxonomy_version]).toEqual([NO_REASON, 1]);
    expect(mapping.drainUnknown()).toEqual([]);
  });

  it('leaves other event types alone', () => {
    const mapping = new ContactReasonMapping();
    mapping.use({ version: 1, taxonomy: V1 });
    const survey: PulseEvent = { type: 'survey', event_id: 's', ts: 1, customer_id: 'c', survey_id: 'x', answers: {}, comment: null };
    mapping.apply(survey);
    expect(survey).toEqual({ type: 'survey', event_id: 's', ts: 1, customer_id: 'c', survey_id: 'x', answers: {}, comment: null });
  });

  it('adds up the counts of several shards', () => {
    const merged = mergeUnknownCounts([
      [{ channel: 'chat', code: 'X', count: 2, first_seen: 10, last_seen: 20, version: 1 }],
      [
        { channel: 'chat', code: 'X', count: 3, first_seen: 5, last_seen: 15, version: 2 },
        { channel: 'voice', code: 'X', count: 1, first_seen: 7, last_seen: 7, version: 2 },
      ],
    ]);
    expect(merged).toEqual([
      { channel: 'chat', code: 'X', count: 5, first_seen: 5, last_seen: 20, version: 2 },
      { channel: 'voice', code: 'X', count: 1, first_seen: 7, last_seen: 7, version: 2 },
    ]);
  });
});
