import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventDecoder } from '../../operators/decode.js';
import { NO_REASON } from '../../operators/events.js';
import { UnreadableRecord } from '../../operators/record-limits.js';

const decoder = new EventDecoder();
const tx = { type: 'transaction', event_id: 'e1', ts: '2026-01-05T10:00:00+01:00', customer_id: 'C1', amount: 12.5, channel: 'web' };
const contact = {
  type: 'contact',
  event_id: 'k1',
  customer_id: null,
  contact_id: 'K1',
  channel: 'chat',
  queue: 'billing',
  reason: 'r',
  agent_id: 'a1',
  queued_at: '2026-01-05T10:00:00Z',
  answered_at: '2026-01-05T10:00:30Z',
  ended_at: 1767607300000,
  hold_seconds: 5,
  acw_seconds: 20,
  disposition: 'resolved',
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

  it('accepts each form of a field of several types: epoch ms and null times, null currency, owner and signup date', () => {
    const ms = Date.UTC(2026, 0, 5, 10);
    expect(decoder.decode({ ...tx, ts: ms, currency: 'EUR' })).toMatchObject({ ok: true, event: { ts: ms, currency: 'EUR' } });
    expect(decoder.decode({ ...tx, currency: null })).toMatchObject({ ok: true, event: { currency: null } });
    // Stripe writes currencies in lower case.
    expect(decoder.decode({ ...tx, currency: 'eur' })).toMatchObject({ ok: true, event: { currency: 'EUR' } });
    expect(decoder.decode({ ...contact, customer_id: 'C1', answered_at: null })).toMatchObject({ ok: true, event: { customer_id: 'C1', answered_at: null } });
    const profile = { type: 'profile', event_id: 'p', ts: ms, customer_id: 'C' };
    expect(decoder.decode({ ...profile, account_owner: null, signup_date: null })).toMatchObject({
      ok: true,
      event: { account_owner: null, signup_date: null },
    });
    expect(decoder.decode({ ...profile, account_owner: 'rosa@example.com', signup_date: '2024-02-29' })).toMatchObject({
      ok: true,
      event: { account_owner: 'rosa@example.com', signup_date: '2024-02-29' },
    });
  });

  it('takes a null hold_seconds or acw_seconds as 0, as an absent one (exports write no hold as null)', () => {
    const { hold_seconds: _hold, acw_seconds: _acw, ...withoutTimes } = contact;
    expect(decoder.decode({ ...contact, hold_seconds: null, acw_seconds: null })).toMatchObject({ ok: true, event: { hold_seconds: 0, acw_seconds: 0 } });
    expect(decoder.decode(withoutTimes)).toMatchObject({ ok: true, event: { hold_seconds: 0, acw_seconds: 0 } });
    expect(decoder.decode({ ...contact, hold_seconds: -1 })).toMatchObject({ ok: false, reason: 'impossible_value' });
  });

  it('takes a contact without a reason (null or blank: an abandoned call has none) as NO_REASON; one without the field is still refused', () => {
    const abandoned = { ...contact, answered_at: null, disposition: 'abandoned' };
    for (const none of [null, '', '  ']) {
      expect(decoder.decode({ ...abandoned, reason: none })).toMatchObject({ ok: true, event: { reason: NO_REASON } });
    }
    expect(decoder.decode({ ...abandoned, reason: 'BILL' })).toMatchObject({ ok: true, event: { reason: 'BILL' } });
    const { reason: _reason, ...withoutReason } = abandoned;
    expect(decoder.decode(withoutReason)).toMatchObject({ ok: false, reason: 'missing_field', detail: "field 'reason' is missing (required for contact)" });
  });

  it('takes an empty account_owner as none (exports write a missing value as "")', () => {
    const profile = { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', tier: 'Gold' };
    for (const empty of ['', '  ']) {
      expect(decoder.decode({ ...profile, account_owner: empty })).toMatchObject({ ok: true, event: { account_owner: null, tier: 'Gold' } });
    }
  });

  it('takes an account_owner with characters beyond ASCII (RFC 6531) and refuses what is no address in any script', () => {
    const profile = { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', tier: 'Silver' };
    for (const owner of ['zoë@example.com', 'josé.núñez@correo.es', '用户@例子.广告']) {
      expect(decoder.decode({ ...profile, account_owner: owner }), owner).toMatchObject({ ok: true, event: { account_owner: owner, tier: 'Silver' } });
    }
    for (const refused of ['zoë', 'zoë@', 'zoë at example.com', 'not-an-address']) {
      expect(decoder.decode({ ...profile, account_owner: refused }), refused).toMatchObject({ ok: false, reason: 'impossible_value' });
    }
  });

  it('takes a signup_date written as a timestamp (as databases export DATE columns), keeping its date as written', () => {
    const profile = { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C' };
    for (const [written, kept] of [
      ['2024-03-01T00:00:00Z', '2024-03-01'],
      ['2024-03-01T23:30:00-05:00', '2024-03-01'],
      ['2024-02-29 08:00:00.5+01:00', '2024-02-29'],
    ] as const) {
      expect(decoder.decode({ ...profile, signup_date: written }), written).toMatchObject({ ok: true, event: { signup_date: kept } });
    }
    for (const refused of ['2023-02-29', '03/01/2024', '2024-03-01T25:00:00Z', '2024-3-1', '2024-03-01T10:00:00']) {
      expect(decoder.decode({ ...profile, signup_date: refused }), refused).toEqual({
        ok: false,
        reason: 'impossible_value',
        detail: `field 'signup_date' must be a date (2024-03-01) or an RFC 3339 timestamp, got "${refused}"`,
        type: 'profile',
      });
    }
  });

  it('keeps extra profile attributes as strings', () => {
    const result = decoder.decode({ type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', region: 'north', segment_hint: 'x', score: 3 });
    expect(result).toMatchObject({ ok: true, event: { region: 'north', attributes: { segment_hint: 'x', score: '3' } } });
  });

  it('keeps profile attributes named like properties of every object (__proto__, constructor)', () => {
    const result = decoder.decode('{"type":"profile","event_id":"p","ts":0,"customer_id":"C","__proto__":"vip","constructor":"x"}');
    if (!result.ok || result.event.type !== 'profile') throw new Error('expected a profile');
    expect(Object.entries(result.event.attributes)).toEqual([
      ['__proto__', 'vip'],
      ['constructor', 'x'],
    ]);
  });

  it('takes a type, contact channel or disposition written in another case, as SPEC writes it', () => {
    const upper = decoder.decode(JSON.stringify({ ...contact, type: 'Contact', channel: 'Voice', disposition: ' RESOLVED ' }));
    if (!upper.ok || upper.event.type !== 'contact') throw new Error('expected a contact');
    expect([upper.event.channel, upper.event.disposition]).toEqual(['voice', 'resolved']);
    const transaction = decoder.decode(JSON.stringify({ ...tx, type: 'TRANSACTION' }));
    expect(transaction.ok && transaction.event.type).toBe('transaction');
  });

  const rejects: Array<[string, unknown, string, RegExp]> = [
    ['invalid JSON', '{"type": "usage",', 'invalid_json', /not valid JSON/],
    [
      'two records on one line',
      '{"type":"usage"}{"type":"usage"}',
      'invalid_json',
      /not valid JSON: .* \(two records on one line\? NDJSON holds one record per line\)$/,
    ],
    ['a JSON array', '[1,2]', 'invalid_json', /must be a JSON object/],
    ['no type', { event_id: 'x' }, 'missing_field', /'type' is missing/],
    ['unknown type', { ...tx, type: 'purchase' }, 'unknown_type', /"purchase" is not one of transaction, usage/],
    ['missing amount', { ...tx, amount: undefined }, 'missing_field', /'amount' is missing \(required for transaction\)/],
    ['amount as text', { ...tx, amount: '12' }, 'wrong_type', /^field 'amount' must be number, got "12"$/],
    [
      'an amount beyond a double',
      JSON.stringify(tx).replace(/"amount":[^,]+/, '"amount":1e309'),
      'wrong_type',
      /^field 'amount' must be number, got Infinity \(a number beyond/,
    ],
    ['time without offset', { ...tx, ts: '2026-01-05T10:00:00' }, 'wrong_type', /'ts' must be an RFC 3339 timestamp/],
    ['negative quantity', { type: 'usage', event_id: 'u', ts: 0, customer_id: 'C', metric: 'm', quantity: -1 }, 'impossible_value', /'quantity' must be >= 0/],
    ['answered before queued', { ...contact, answered_at: '2026-01-05T09:59:59Z' }, 'impossible_value', /'answered_at' is before 'queued_at'/],
    ['ended before answered', { ...contact, ended_at: '2026-01-05T10:00:10Z' }, 'impossible_value', /'ended_at' is before 'answered_at'/],
    ['unknown channel', { ...contact, channel: 'fax' }, 'impossible_value', /^field 'channel' is "fax", not one of voice, chat, email, web, ivr, social$/],
    ['unknown disposition', { ...contact, disposition: 'Solved' }, 'impossible_value', /^field 'disposition' is "Solved", not one of resolved, unresolved/],
    // Fields of several types (string or epoch ms, string or null): each form, and what neither is.
    ['a negative epoch time', { ...tx, ts: -1 }, 'wrong_type', /'ts' must be an RFC 3339 timestamp with offset or non-negative epoch milliseconds/],
    ['a time as a boolean', { ...contact, answered_at: true }, 'wrong_type', /'answered_at' must be an RFC 3339 timestamp/],
    ['a currency not of three letters', { ...tx, currency: 'EURO' }, 'impossible_value', /'currency' must be a three-letter ISO 4217 code \(EUR\), got "EURO"/],
    ['a currency as a number', { ...tx, currency: 978 }, 'wrong_type', /'currency' must be string,null/],
    ['a contact customer as a number', { ...contact, customer_id: 7 }, 'wrong_type', /'customer_id' must be string,null/],
    ['an empty contact customer', { ...contact, customer_id: '' }, 'impossible_value', /'customer_id' must NOT have fewer than 1 characters/],
    [
      'an account owner that is not an email',
      { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', account_owner: 'rosa' },
      'impossible_value',
      /'account_owner' must be an e-mail address \(or empty for none\), got "rosa"/,
    ],
    [
      'a signup date that is not a date',
      { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', signup_date: '2026-13-01' },
      'impossible_value',
      /'signup_date' must be a date \(2024-03-01\) or an RFC 3339 timestamp, got "2026-13-01"/,
    ],
    [
      'survey answers not an object',
      { type: 'survey', event_id: 's', ts: 0, customer_id: 'C', survey_id: 'S', answers: [1] },
      'wrong_type',
      /^field 'answers' must be object, got \[1\]$/,
    ],
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

describe('a columnar row (Parquet, Arrow), decoded as the object it is', () => {
  it('says NaN is no number, not a number beyond the largest', () => {
    const result = decoder.decode({ ...tx, amount: Number.NaN });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.reason, result.detail]).toEqual(['wrong_type', "field 'amount' must be number, got NaN (not a number)"]);
  });
});

const usage = { type: 'usage', event_id: 'u', ts: '2026-01-05T10:00:00Z', customer_id: 'C', metric: 'm', quantity: 1 };
/** A usage record whose extra field nests `levels` arrays (the record itself is one more level). */
const nested = (levels: number): string => JSON.stringify(usage).replace(/}$/, `,"extra":${'['.repeat(levels)}${']'.repeat(levels)}}`);

describe('EventDecoder limits (issue 18: poison records and silent value damage)', () => {
  const hostile: Array<[string, string, string, RegExp]> = [
    ['a leap second', JSON.stringify({ ...tx, ts: '2026-01-10T23:59:60Z' }), 'impossible_value', /'ts' is a leap second/],
    [
      'a time that is not RFC 3339',
      JSON.stringify({ ...contact, ended_at: '2026-01-05 10:00:00' }),
      'wrong_type',
      /'ended_at' must be an RFC 3339 timestamp .* got "2026-01-05 10:00:00"/,
    ],
    [
      'an epoch beyond the doubles',
      JSON.stringify(tx).replace('"ts":"2026-01-05T10:00:00+01:00"', '"ts":1e400'),
      'wrong_type',
      /'ts' must be an RFC 3339 timestamp/,
    ],
    ['an amount of 1.7e308', JSON.stringify({ ...tx, amount: 1.7e308 }), 'impossible_value', /'amount' must be <= 1000000000000 \(limits\.max_amount\)/],
    ['a refund of -1.7e308', JSON.stringify({ ...tx, amount: -1.7e308 }), 'impossible_value', /'amount' must be >= -1000000000000 \(limits\.max_amount\)/],
    [
      'acw_seconds of 1e300',
      JSON.stringify({ ...contact, acw_seconds: 1e300 }),
      'impossible_value',
      /'acw_seconds' must be <= 86400 \(limits\.max_contact_seconds\)/,
    ],
    ['hold_seconds of two days', JSON.stringify({ ...contact, hold_seconds: 172_800 }), 'impossible_value', /'hold_seconds' .*limits\.max_contact_seconds/],
    ['a quantity of 1e13', JSON.stringify({ ...usage, quantity: 1e13 }), 'impossible_value', /'quantity' must be <= 1000000000000 \(limits\.max_quantity\)/],
    [
      'a survey answer of -1e7',
      JSON.stringify({ type: 'survey', event_id: 's', ts: 0, customer_id: 'C', survey_id: 'S', answers: { nps: -1e7 } }),
      'impossible_value',
      /'answers\.nps' must be >= -1000000 \(limits\.max_survey_answer\)/,
    ],
    [
      'a customer id of 1 MB',
      JSON.stringify({ ...tx, customer_id: 'C'.repeat(1_000_000) }),
      'impossible_value',
      /'customer_id' is longer than 256 characters \(limits\.max_id_length\)/,
    ],
    ['a queue name of 257 characters', JSON.stringify({ ...contact, queue: 'q'.repeat(257) }), 'impossible_value', /'queue' is longer than 256/],
    ['a lone surrogate in an id', JSON.stringify(tx).replace('"C1"', '"C\\ud800"'), 'impossible_value', /'customer_id' holds an unpaired UTF-16 surrogate/],
    [
      'a lone surrogate in a label',
      JSON.stringify({ ...contact, agent_id: 'a' }).replace('"a"', '"\\udfff"'),
      'impossible_value',
      /'agent_id' holds an unpaired UTF-16 surrogate/,
    ],
    ['a customer id of only spaces', JSON.stringify({ ...tx, customer_id: '   ' }), 'impossible_value', /'customer_id' is blank \(" {3}"\)/],
    ['a no-break space as the queue', JSON.stringify({ ...contact, queue: '\u00a0' }), 'impossible_value', /'queue' is blank/],
    [
      'a tab inside a customer id',
      JSON.stringify({ ...tx, customer_id: 'C\t1' }),
      'impossible_value',
      /'customer_id' holds the control character U\+0009 at character 2/,
    ],
    [
      'a NUL ending an event id',
      JSON.stringify({ ...tx, event_id: 'e\u0000' }),
      'impossible_value',
      /'event_id' holds the control character U\+0000 at character 2/,
    ],
    [
      'a C1 control in a contact id',
      JSON.stringify({ ...contact, contact_id: '\u009bX' }),
      'impossible_value',
      /'contact_id' holds the control character U\+009B at character 1/,
    ],
    ['5,000 levels of nested arrays', nested(5000), 'too_large', /nest more than 64 levels deep \(limits\.max_nesting_depth\)/],
    ['nesting one level too deep', nested(64), 'too_large', /more than 64 levels/],
  ];
  for (const [name, text, reason, detail] of hostile) {
    it(`refuses ${name} as ${reason}`, () => {
      const result = decoder.decode(text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe(reason);
      expect(result.detail).toMatch(detail);
    });
  }

  it('accepts what is just inside the limits, spaces inside an id, and a paired surrogate (an emoji) in one', () => {
    expect(decoder.decode(nested(63)).ok).toBe(true); // 64 levels with the record
    // Brackets inside strings are text, not nesting.
    expect(decoder.decode(JSON.stringify({ ...usage, note: '['.repeat(500) })).ok).toBe(true);
    expect(decoder.decode(JSON.stringify({ ...tx, amount: -1e12 })).ok).toBe(true);
    expect(decoder.decode(JSON.stringify({ ...contact, acw_seconds: 86_400 })).ok).toBe(true);
    expect(decoder.decode(JSON.stringify({ ...tx, customer_id: 'C'.repeat(256) })).ok).toBe(true);
    // Spaces inside or around an id are part of it (stored byte for byte), and so are letters of any script.
    expect(decoder.decode(JSON.stringify({ ...tx, customer_id: ' C 1 ' }))).toMatchObject({ ok: true, event: { customer_id: ' C 1 ' } });
    expect(decoder.decode(JSON.stringify({ ...tx, customer_id: 'Çağrı' })).ok).toBe(true);
    // A contact's ts is optional, so null (as a column writes it) is absent: queued_at is its time.
    expect(decoder.decode(JSON.stringify({ ...contact, ts: null }))).toMatchObject({ ok: true, event: { ts: Date.parse(contact.queued_at) } });
    // A contact's customer may be unknown (null), unlike a blank one.
    expect(decoder.decode(JSON.stringify({ ...contact, customer_id: null })).ok).toBe(true);
    const emoji = decoder.decode(JSON.stringify(tx).replace('"C1"', '"C\\ud83d\\ude00"'));
    expect(emoji).toMatchObject({ ok: true, event: { customer_id: 'C\u{1F600}' } });
  });

  it('makes lone surrogates in free text U+FFFD: transcripts, comments, text answers and profile attributes are quoted into JSON', () => {
    // A JSON escape of half an emoji, as a producer that cut one writes it.
    const broken = (record: object): string => JSON.stringify(record).replace('"BROKEN"', '"x\\ud83dy"');
    const text = decoder.decode(broken({ ...contact, text: 'BROKEN' }));
    expect(text).toMatchObject({ ok: true, event: { text: 'x\ufffdy' } });
    const survey = { type: 'survey', event_id: 's', ts: 0, customer_id: 'C', survey_id: 'S' };
    expect(decoder.decode(broken({ ...survey, answers: {}, comment: 'BROKEN' }))).toMatchObject({ ok: true, event: { comment: 'x\ufffdy' } });
    expect(decoder.decode(broken({ ...survey, answers: { why: 'BROKEN' } }))).toMatchObject({ ok: true, event: { answers: { why: 'x\ufffdy' } } });
    const profile = { type: 'profile', event_id: 'p', ts: 0, customer_id: 'C', plan: 'BROKEN' };
    expect(decoder.decode(broken(profile))).toMatchObject({ ok: true, event: { attributes: { plan: 'x\ufffdy' } } });
  });

  it('converts every offset form exactly, including years before 100', () => {
    expect(decoder.decode(JSON.stringify({ ...tx, ts: '2026-01-05T10:00:00+01' }))).toMatchObject({ ok: true, event: { ts: Date.UTC(2026, 0, 5, 9) } });
    expect(decoder.decode(JSON.stringify({ ...tx, ts: '2026-01-05T10:00:00-0130' }))).toMatchObject({ ok: true, event: { ts: Date.UTC(2026, 0, 5, 11, 30) } });
    const early = decoder.decode(JSON.stringify({ ...tx, ts: '0026-01-05 10:00:00Z' }));
    expect(early.ok && new Date(early.event.ts).getUTCFullYear()).toBe(26);
  });

  it('never accepts a record whose times are not finite numbers', () => {
    const timeText = fc.oneof(
      fc.string(),
      fc.date({ min: new Date(-62_167_219_200_000), max: new Date(253_402_300_799_999), noInvalidDate: true }).map((d) => d.toISOString()),
      // Mutations of a valid time: leap seconds, odd separators, offsets, fractions.
      fc
        .tuple(
          fc.constantFrom('T', 't', ' ', '\t', '_'),
          fc.constantFrom('59', '60', '61'),
          fc.constantFrom('', '.', '.5', '.123456789'),
          fc.constantFrom('Z', 'z', '+01', '+0100', '+01:00', '-23:59', '+24:00', ''),
        )
        .map(([sep, second, fraction, zone]) => `2026-01-10${sep}23:59:${second}${fraction}${zone}`),
    );
    fc.assert(
      fc.property(timeText, fc.constantFrom('ts', 'queued_at', 'answered_at', 'ended_at'), (value, field) => {
        const record = field === 'ts' ? { ...tx, ts: value } : { ...contact, queued_at: '2026-01-10T00:00:00Z', answered_at: null, [field]: value };
        const result = decoder.decode(JSON.stringify(record));
        if (!result.ok) return;
        const event = result.event;
        const times = event.type === 'contact' ? [event.ts, event.queued_at, event.answered_at ?? 0, event.ended_at] : [event.ts];
        for (const time of times) expect(Number.isFinite(time)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses a columnar row nested too deep, and a record its source could not read, with the source's reason", () => {
    let row: unknown = 1;
    for (let i = 0; i < 100; i++) row = [row];
    expect(decoder.decode({ ...usage, extra: row })).toMatchObject({ ok: false, reason: 'too_large' });
    const unreadable = new UnreadableRecord('too_large', 'the record is 2000000 bytes', '{"type":');
    expect(decoder.decode(unreadable)).toEqual({ ok: false, reason: 'too_large', detail: 'the record is 2000000 bytes', type: 'unknown' });
  });

  it('takes its limits from the job', () => {
    const strict = new EventDecoder({ maxAmount: 100, maxNestingDepth: 3, maxIdLength: 4 });
    expect(strict.decode(JSON.stringify({ ...tx, amount: 100 })).ok).toBe(true);
    expect(strict.decode(JSON.stringify({ ...tx, amount: 100.5 }))).toMatchObject({ ok: false, detail: /must be <= 100 \(limits\.max_amount\)/ });
    expect(strict.decode(nested(2)).ok).toBe(true);
    expect(strict.decode(nested(3))).toMatchObject({ ok: false, reason: 'too_large', detail: /more than 3 levels/ });
    expect(strict.decode(JSON.stringify({ ...tx, customer_id: 'C1234' }))).toMatchObject({ ok: false, detail: /longer than 4 characters/ });
  });
});
