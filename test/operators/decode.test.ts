import { describe, expect, it } from 'vitest';
import { EventDecoder } from '../../operators/decode.js';

const decoder = new EventDecoder();
const tx = { type: 'transaction', event_id: 'e1', ts: '2026-01-05T10:00:00+01:00', customer_id: 'C1', amount: 12.5, channel: 'web' };
const contact = {
  type: 'contact', event_id: 'k1', customer_id: null, contact_id: 'K1', channel: 'chat', queue: 'billing', reason: 'r',
  agent_id: 'a1', queued_at: '2026-01-05T10:00:00Z', answered_at: '2026-01-05T10:00:30Z', ended_at: 1767607300000,
  hold_seconds: 5, acw_seconds: 20, disposition: 'resolved',
};

describe('EventDecoder', () => {
  it('normalises times to epoch milliseconds (offsets honoured)', () => {
    const result = decoder.decode(JSON.stringify(tx));
    expect(result).toMatchObject({ ok: true, event: { ts: Date.UTC(2026, 0, 5, 9), currency: null, category: null } });
  });

  it('uses queued_at as a contact event time and allows a null customer', () => {
    const result = decoder.decode(contact);
    expect(result).toMatchObject({
      ok: true,
      event: { ts: Date.UTC(2026, 0, 5, 10), queued_at: Date.UTC(2026, 0, 5, 10), answered_at: Date.UTC(2026, 0, 5, 10, 0, 30), customer_id: null },
    });
  });

  it('keeps extra profile attributes as strings', () => {
    const result = decoder.decode({ type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', region: 'north', segment_hint: 'x', score: 3 });
    expect(result).toMatchObject({ ok: true, event: { region: 'north', attributes: { segment_hint: 'x', score: '3' } } });
  });

  const rejects: Array<[string, unknown, string, RegExp]> = [
    ['invalid JSON', '{"type": "usage",', 'invalid_json', /not valid JSON/],
    ['a JSON array', '[1,2]', 'invalid_json', /must be a JSON object/],
    ['no type', { event_id: 'x' }, 'missing_field', /'type' is missing/],
    ['unknown type', { ...tx, type: 'purchase' }, 'unknown_type', /"purchase" is not one of transaction, usage/],
    ['missing amount', { ...tx, amount: undefined }, 'missing_field', /'amount' is missing \(required for transaction\)/],
    ['amount as text', { ...tx, amount: '12' }, 'wrong_type', /'amount' must be number/],
    ['time without offset', { ...tx, ts: '2026-01-05T10:00:00' }, 'wrong_type', /'ts' must be an RFC 3339 timestamp/],
    ['negative quantity', { type: 'usage', event_id: 'u', ts: 0, customer_id: 'C', metric: 'm', quantity: -1 }, 'impossible_value', /'quantity' must be >= 0/],
    ['answered before queued', { ...contact, answered_at: '2026-01-05T09:59:59Z' }, 'impossible_value', /'answered_at' is before 'queued_at'/],
    ['ended before answered', { ...contact, ended_at: '2026-01-05T10:00:10Z' }, 'impossible_value', /'ended_at' is before 'answered_at'/],
    ['unknown channel', { ...contact, channel: 'fax' }, 'impossible_value', /'channel' must be equal to one of the allowed values/],
    ['survey answers not an object', { type: 'survey', event_id: 's', ts: 0, customer_id: 'C', survey_id: 'S', answers: [1] }, 'wrong_type', /'answers' must be object/],
  ];
  for (const [name, input, reason, detail] of rejects) {
    it(`rejects ${name} as ${reason}`, () => {
      const value = typeof input === 'string' ? input : JSON.stringify(input);
      const result = decoder.decode(value);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe(reason);
      expect(result.detail).toMatch(detail);
    });
  }
});
