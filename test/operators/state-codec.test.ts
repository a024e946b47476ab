import { isDeepStrictEqual } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStateValue, encodeStateValue, StateCodecError } from '../../operators/state-codec.js';

/** Bit for bit: -0 is not 0, NaN is NaN (isDeepStrictEqual compares numbers with Object.is). */
function expectExact(value: unknown): string {
  const text = encodeStateValue(value);
  expect(() => JSON.parse(text) as unknown).not.toThrow();
  const back = decodeStateValue(text);
  expect(isDeepStrictEqual(back, value), `${JSON.stringify(value)} came back as ${JSON.stringify(back)} from ${text}`).toBe(true);
  return text;
}

/** A customer's shift state as the detector keeps it (shortened): rings of doubles beside integer rings. */
const SHIFT_STATE = {
  first: 20458,
  series: {
    spend_total: {
      v: [118.83, 176.4, 291.03, 180.35999999999999, 0, 21.73, 131.42000000000002],
      last: 20485,
      quiet: 20458,
      g: { n: [2, 1, 3, 3, 0, 1, 2], l: [7.1120194918378195, 5.172754143572691, 12.658672463270161, 0, 0, 3.078693794268338, 8.363548463573686] },
      ex: [1.75, 1.75, 1.75, 1.75],
      mu: 3.9777444384461544,
    },
    spend_count: { v: [2, 1, 3, 3, 0, 1, 2], last: 20485, g: { n: [2, 1, 3, 3, 0, 1, 2] }, mu: 0 },
  },
  open: [],
  amounts: [71.18, 60.24, 10.65, 45.89],
  metrics: ['data_mb', 'minutes'],
  profile: { account_owner: 'kavya.nair@pulse-demo.example', tier: 'Silver' },
};

describe('encodeStateValue / decodeStateValue', () => {
  it('packs arrays of doubles into one base64 string and keeps the rest JSON', () => {
    const text = expectExact(SHIFT_STATE);
    const stored = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(['\u0001f64', 'v']);
    // 7 + 7 + 4 + 4 doubles, 8 bytes each, in the order the walk meets them.
    expect(Buffer.from(stored['\u0001f64'] as string, 'base64').length).toBe(22 * 8);
    const v = stored['v'] as typeof SHIFT_STATE;
    expect(v.series.spend_total.v).toBe('\u00010:7');
    expect(v.series.spend_total.g.l).toBe('\u00017:7');
    expect(v.series.spend_total.ex).toBe('\u000114:4');
    expect(v.amounts).toBe('\u000118:4');
    // Integer arrays and scalar doubles stay as they were.
    expect(v.series.spend_total.g.n).toEqual([2, 1, 3, 3, 0, 1, 2]);
    expect(v.series.spend_total.mu).toBe(3.9777444384461544);
    expect(v.series.spend_count).toEqual(SHIFT_STATE.series.spend_count);
  });

  it('stores a value with nothing to pack as plain JSON, as before', () => {
    for (const value of [{ n: 1, days: [20458, 20460], name: 'x' }, 1769775814491, 0.05, 'text', null, true, [], {}, [1, 'a', null]]) {
      expect(expectExact(value)).toBe(JSON.stringify(value));
    }
  });

  it('packs arrays of numbers beyond 32-bit integers (millisecond timestamps: as slow for V8 to print as fractions)', () => {
    const text = expectExact({ seen: [1769775814491, 1769775814492, 1769775814493, 1769775814494] });
    expect(text.startsWith('{"\\u0001f64":"')).toBe(true);
    expectExact({ small: [2147483647, -2147483648] });
    expect(encodeStateValue({ small: [2147483647, -2147483648] })).toBe('{"small":[2147483647,-2147483648]}');
    // Fewer than 4 slow numbers: cheaper printed than packed.
    expect(encodeStateValue({ month: [0, 0, 27867.700000000004, 427.63, 1769775814491] })).toBe('{"month":[0,0,27867.700000000004,427.63,1769775814491]}');
  });

  it('keeps -0, NaN and ±Infinity, in arrays and alone, where plain JSON turned them into 0 and null', () => {
    expectExact([-0]);
    expectExact([0, -0, 1]);
    expectExact([Number.NaN, 1]);
    expectExact({ a: Number.POSITIVE_INFINITY, b: [Number.NEGATIVE_INFINITY, 'x'], c: -0, d: Number.NaN });
    expectExact(-0);
    expectExact(Number.NaN);
    expectExact(Number.MIN_VALUE);
    expectExact([Number.MAX_VALUE, Number.EPSILON, 5e-324, 0.1 + 0.2]);
  });

  it('keeps strings that look like placeholders, and a top-level object with the envelope key', () => {
    expectExact({ a: '\u00010:1', b: ['\u0001', '\u0001\u0001x'], c: [0.5] });
    expectExact(['\u00012']);
    expectExact({ '\u0001f64': 'AAAA', v: 1 });
    expectExact({ '\u0001f64': 'AAAA', v: [0.5] });
  });

  it('leaves the caller state as it was', () => {
    const value = structuredClone(SHIFT_STATE);
    encodeStateValue(value);
    expect(value).toStrictEqual(SHIFT_STATE);
  });

  it('reads rows written before the codec (plain JSON) exactly as JSON.parse did', () => {
    const old = [
      '{"days":[20458,20460,20461],"sums":[21.75,58.730000000000004,31.08]}',
      '{"firstSeen":1767571252431,"monthSpend":[0,27867.700000000004,427.63],"scored":{"tier":"Gold","spend":20982.2}}',
      '[{"t":1769768789060,"r":"RET_CANCEL","d":"resolved","id":"K42660"}]',
      '1769775814491',
      '9007199254740991',
      '{"prev":0.034482758620689655,"firing":null}',
      '"\\u00010:1"',
      '{"a":"\\u0001x"}',
    ];
    for (const text of old) expect(decodeStateValue(text)).toStrictEqual(JSON.parse(text));
  });

  it('refuses a damaged packed value and a value that refers to itself, saying what is wrong', () => {
    expect(() => decodeStateValue('{"\\u0001f64":"AAA","v":1}')).toThrow(StateCodecError);
    expect(() => decodeStateValue('{"\\u0001f64":"AAAAAAAAAAA=","v":"\\u00011:1"}')).toThrow(/bad placeholder/);
    expect(() => decodeStateValue('{"\\u0001f64":"AAAAAAAAAAA=","v":"\\u0001"}')).toThrow(/bad placeholder/);
    expect(() => decodeStateValue('{"\\u0001f64":"AAAAAAAAAAA="}')).toThrow(/without its doubles or its value/);
    const loop: Record<string, unknown> = { a: 1 };
    loop['self'] = loop;
    expect(() => encodeStateValue(loop)).toThrow(/nested deeper than/);
  });

  it('round-trips any plain data exactly (property)', () => {
    const markStrings = fc.string().map((s) => `\u0001${s}`);
    const numbers = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, Number.NaN, 1769775814491, 2 ** 31));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        numbers,
        fc.string(),
        markStrings,
        fc.boolean(),
        fc.constant(null),
        fc.array(numbers),
        fc.array(fc.integer()),
        fc.array(tie('value')),
        fc.dictionary(fc.oneof(fc.string(), markStrings, fc.constant('\u0001f64')), tie('value'), { noNullPrototype: true }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        const text = encodeStateValue(v);
        JSON.parse(text);
        return isDeepStrictEqual(decodeStateValue(text), v);
      }),
      { numRuns: 2000 },
    );
  });

  it('stores texts that DuckDB keeps unchanged in the JSON column pulse_state.value', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const texts = [SHIFT_STATE, { a: [-0, Number.NaN], s: '\u0001x' }, { n: 1 }].map((value) => encodeStateValue(value));
      await connection.run('CREATE TABLE t (i INTEGER, value JSON)');
      for (const [i, text] of texts.entries()) await connection.run('INSERT INTO t VALUES ($i, $text)', { i, text });
      const reader = await connection.runAndReadAll('SELECT CAST(value AS VARCHAR) FROM t ORDER BY i');
      expect(reader.getRowsJS().map(([text]) => text)).toEqual(texts);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
