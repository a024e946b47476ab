import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runJob, testJob } from '../helpers/run-job.js';

/**
 * Issue 18, property: hostile records mixed into a valid stream cost nothing. For generated valid
 * streams and generated hostile records (malformed JSON, wrong types, huge and deeply nested
 * values, bad timestamps, invalid UTF-8, a byte-order mark, oversized lines, duplicates) placed
 * anywhere in them:
 * - every record read is either accepted or rejected (blank lines are not records);
 * - every hostile record is in `dead_letters` at its line with a reason it deserves, and counted
 *   in pulse_events_rejected_total;
 * - accepted records and output tables equal those of a run over the valid records alone.
 * Batch size 1 judges lateness record by record, so hostile records cannot shift a batch boundary.
 */

const START = Date.UTC(2026, 0, 5);
/** The processing time of both runs: a month after the stream (the `future` bound is relative to it). */
const NOW = Date.UTC(2026, 1, 5);
const MAX_RECORD_BYTES = 8192;
const ENCODE = (text: string): Buffer => Buffer.from(text, 'utf8');

// ---- the valid stream ---------------------------------------------------------------------------

const validEvent = fc.record({
  kind: fc.constantFrom('transaction', 'usage', 'contact'),
  customer: fc.integer({ min: 0, max: 5 }),
  /** Minutes the clock moves on before this event. */
  step: fc.integer({ min: 0, max: 30 }),
  /** Seconds this event lies behind the clock: within max_out_of_orderness, so never late. */
  behind: fc.integer({ min: 0, max: 240 }),
  cents: fc.integer({ min: -20_000, max: 500_000 }),
  tenths: fc.integer({ min: 0, max: 100_000 }),
  metric: fc.constantFrom('data_mb', 'logins'),
  timeFormat: fc.constantFrom('epoch', 'utc', 'offset'),
  waitSeconds: fc.integer({ min: 0, max: 120 }),
  talkSeconds: fc.integer({ min: 1, max: 900 }),
  answered: fc.boolean(),
  queue: fc.constantFrom('billing', 'support'),
});
type ValidEvent = typeof validEvent extends fc.Arbitrary<infer T> ? T : never;

function formatTime(ms: number, style: ValidEvent['timeFormat']): number | string {
  if (style === 'epoch') return ms;
  if (style === 'utc') return new Date(ms).toISOString();
  return new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00');
}

function validLines(events: ValidEvent[]): string[] {
  let clock = START;
  return events.map((e, i) => {
    clock += e.step * 60_000;
    const ts = clock - e.behind * 1000;
    const base = { event_id: `e${i}`, customer_id: `C${e.customer}` };
    if (e.kind === 'transaction') {
      return JSON.stringify({ type: 'transaction', ...base, ts: formatTime(ts, e.timeFormat), amount: e.cents / 100, channel: 'web' });
    }
    if (e.kind === 'usage') {
      return JSON.stringify({ type: 'usage', ...base, ts: formatTime(ts, e.timeFormat), metric: e.metric, quantity: e.tenths / 10 });
    }
    const answeredAt = e.answered ? ts + e.waitSeconds * 1000 : null;
    return JSON.stringify({
      type: 'contact',
      ...base,
      contact_id: `K${i}`,
      channel: 'voice',
      queue: e.queue,
      reason: 'bill',
      agent_id: e.answered ? 'a1' : null,
      queued_at: formatTime(ts, e.timeFormat),
      answered_at: answeredAt,
      ended_at: (answeredAt ?? ts) + e.talkSeconds * 1000,
      hold_seconds: 0,
      acw_seconds: 30,
      disposition: e.answered ? 'resolved' : 'abandoned',
    });
  });
}

// ---- hostile records ------------------------------------------------------------------------------

/** One hostile line and the reasons it may be refused with (empty: a blank line, not a record). */
interface Hostile {
  bytes: Buffer;
  reasons: readonly string[];
}

const template = { type: 'transaction', event_id: 'h', ts: START, customer_id: 'C1', amount: 10, channel: 'web' };
const withFields = (id: string, patch: Record<string, unknown>): string => JSON.stringify({ ...template, event_id: id, ...patch });

/** A hostile record built from its generated parameters (`earlier`: the valid lines before it). */
type HostileFactory = (id: string, earlier: readonly string[]) => Hostile;

const hostileRecord: fc.Arbitrary<HostileFactory> = fc.oneof(
  // Malformed JSON: a valid line cut short, or printable garbage that is not a JSON object.
  fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((cut): HostileFactory => (id) => {
    const line = withFields(id, {});
    return { bytes: ENCODE(line.slice(0, 1 + Math.floor(cut * (line.length - 2)))), reasons: ['invalid_json'] };
  }),
  fc
    .string({ minLength: 1, maxLength: 80 })
    .filter((s) => s.trim().length > 0 && !/[\r\n]/.test(s) && !isJsonObject(s))
    .map((garbage): HostileFactory => () => ({ bytes: ENCODE(garbage), reasons: ['invalid_json'] })),
  // Wrong types, a missing field, an unknown type.
  fc
    .constantFrom<[string, unknown]>(
      ['amount', '12'],
      ['amount', null],
      ['customer_id', 5],
      ['ts', true],
      ['ts', '2026-01-05 10:00:00'],
      ['ts', -5],
      ['channel', ['web']],
    )
    .map(([field, value]): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, { [field]: value })), reasons: ['wrong_type'] })),
  fc.constant<HostileFactory>((id) => ({ bytes: ENCODE(withFields(id, { customer_id: undefined })), reasons: ['missing_field'] })),
  fc.constant<HostileFactory>((id) => ({ bytes: ENCODE(withFields(id, { type: 'refund' })), reasons: ['unknown_type'] })),
  // Huge values: beyond the numeric bounds, ids beyond their length limit, unpaired surrogates.
  fc
    .constantFrom<Record<string, unknown>>({ amount: 1.7e308 }, { amount: -1.7e308 }, { amount: 2e12 })
    .map((patch): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, patch)), reasons: ['impossible_value'] })),
  fc
    .constantFrom<Record<string, unknown>>(
      { type: 'usage', metric: 'logins', quantity: 1e13, amount: undefined },
      {
        type: 'contact',
        contact_id: 'K',
        queue: 'billing',
        reason: 'r',
        channel: 'chat',
        queued_at: START,
        ended_at: START + 60_000,
        acw_seconds: 1e300,
        disposition: 'resolved',
        amount: undefined,
      },
    )
    .map((patch): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, patch)), reasons: ['impossible_value'] })),
  fc
    .integer({ min: 257, max: 3000 })
    .map((length): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, { customer_id: 'C'.repeat(length) })), reasons: ['impossible_value'] })),
  fc.constant<HostileFactory>((id) => ({ bytes: ENCODE(withFields(id, {}).replace('"C1"', '"C1\\ud800"')), reasons: ['impossible_value'] })),
  // Nesting deeper than the limit, in an extra field of an otherwise valid record.
  fc.integer({ min: 64, max: 4000 }).map((depth): HostileFactory => (id) => ({
    bytes: ENCODE(withFields(id, {}).replace(/}$/, `,"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
    reasons: ['too_large'],
  })),
  // Bad timestamps: a leap second, in the future, before min_time.
  fc.constant<HostileFactory>((id) => ({ bytes: ENCODE(withFields(id, { ts: '2026-01-10T23:59:60Z' })), reasons: ['impossible_value'] })),
  fc
    .constantFrom<unknown>('2027-01-01T00:00:00Z', '2100-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 1e20, NOW + 2 * 3_600_000)
    .map((ts): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, { ts })), reasons: ['future'] })),
  fc
    .constantFrom<unknown>('0001-01-01T00:00:00Z', 0, '1999-12-31T23:59:59Z')
    .map((ts): HostileFactory => (id) => ({ bytes: ENCODE(withFields(id, { ts })), reasons: ['impossible_value'] })),
  // Invalid UTF-8 inside an id (ids differing only there would otherwise merge into one).
  fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]).map((invalid): HostileFactory => (id) => {
    const [head, tail] = withFields(id, {}).split('"C1"') as [string, string];
    return { bytes: Buffer.concat([ENCODE(`${head}"C1`), Buffer.from(invalid), ENCODE(`"${tail}`)]), reasons: ['invalid_json'] };
  }),
  // Lines over the record-size limit.
  fc.integer({ min: MAX_RECORD_BYTES + 1, max: 5 * MAX_RECORD_BYTES }).map((size): HostileFactory => (id) => {
    const line = withFields(id, { pad: '' });
    return { bytes: ENCODE(line.replace('"pad":""', `"pad":"${'x'.repeat(size - line.length)}"`)), reasons: ['too_large'] };
  }),
  // An exact copy of an earlier valid record (a blank line when there is none yet).
  fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map(
    (pick): HostileFactory =>
      (_id, earlier) =>
        earlier.length === 0
          ? { bytes: ENCODE('  '), reasons: [] }
          : { bytes: ENCODE(earlier[Math.floor(pick * earlier.length)]!), reasons: ['duplicate', 'late'] },
  ),
  fc.constantFrom('', ' ', '\t').map((blank): HostileFactory => () => ({ bytes: ENCODE(blank), reasons: [] })),
);

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

// ---- the property ----------------------------------------------------------------------------------

const scenario = fc.record({
  valid: fc.array(validEvent, { minLength: 20, maxLength: 200 }),
  hostile: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), hostileRecord), { minLength: 1, maxLength: 60 }),
  bom: fc.boolean(),
});

const OPERATORS = `  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
  - type: contact_kpis
    window_sizes: [15m, 1h]`;

const OUTPUT_TABLES = [
  `SELECT customer_id, window_start, window_end, spend_total, spend_count, spend_max, refund_total, usage_total,
          CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`,
  'SELECT * FROM contact_kpis ORDER BY ALL',
  'SELECT * FROM contact_reason_volumes ORDER BY ALL',
];

async function run(dir: string, name: string, lines: readonly Buffer[], bom: boolean) {
  const path = join(dir, `${name}.ndjson`);
  const newline = Buffer.from('\n');
  writeFileSync(path, Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), ...lines.flatMap((line) => [line, newline])]));
  const db = join(dir, `${name}.duckdb`);
  // On the main thread: 24 runs each starting worker threads would triple the test's time; records
  // the source could not read crossing to a worker are tested in test/pipelines/shards/pool.test.ts.
  const job = testJob({ paths: [path], db, batchSize: 1, operators: OPERATORS, extra: `limits: { max_record_bytes: ${MAX_RECORD_BYTES} }\nworkers: 0` });
  const { summary, metrics } = await runJob(job, { now: () => NOW });
  const rejectedCounter = (await metrics.eventsRejected.get()).values.reduce((sum, v) => sum + v.value, 0);
  const [deadLetters, ...tables] = await query(db, 'SELECT position, reason, detail, raw FROM dead_letters', ...OUTPUT_TABLES);
  const lineOf = (position: unknown): number => Number(String(position).slice(path.length + 1));
  const letters = deadLetters!
    .map((row): Record<string, unknown> & { line: number } => ({ ...row, line: lineOf(row['position']) }))
    .sort((a, b) => a.line - b.line);
  return { summary, rejectedCounter, deadLetters: letters, tables };
}

describe('hostile records mixed into a valid stream (property)', () => {
  it('are each dead-lettered with a reason and change nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ valid, hostile, bom }) => {
        const dir = mkdtempSync(join(tmpdir(), 'pulse-hostile-'));
        try {
          const clean = validLines(valid);
          // Place each hostile record before valid line floor(at * n); build it from the lines before it.
          const placed = hostile.map(([at, make], j) => ({ index: Math.floor(at * clean.length), make, id: `h${j}` })).sort((a, b) => a.index - b.index);
          const mixed: Buffer[] = [];
          const expectedAt = new Map<number, readonly string[]>(); // line -> reasons, hostile records only
          let next = 0;
          for (let i = 0; i <= clean.length; i++) {
            while (next < placed.length && placed[next]!.index === i) {
              const record = placed[next++]!.make(placed[next - 1]!.id, clean.slice(0, i));
              mixed.push(record.bytes);
              if (record.reasons.length > 0) expectedAt.set(mixed.length, record.reasons);
            }
            if (i < clean.length) mixed.push(ENCODE(clean[i]!));
          }

          const reference = await run(dir, 'valid', clean.map(ENCODE), false);
          const result = await run(dir, 'mixed', mixed, bom);

          const records = clean.length + expectedAt.size;
          expect(result.summary.records).toBe(records);
          expect(result.summary.accepted + result.summary.rejected).toBe(records);
          expect(result.summary.accepted).toBe(reference.summary.accepted);
          expect(result.summary.rejected).toBe(reference.summary.rejected + expectedAt.size);
          expect(result.rejectedCounter).toBe(result.summary.rejected);

          // Every hostile record at its line, with a reason it deserves; the valid stream's own dead
          // letters (if any) unchanged.
          expect(result.deadLetters).toHaveLength(result.summary.rejected);
          for (const [line, reasons] of expectedAt) {
            const letters = result.deadLetters.filter((d) => d.line === line);
            expect(letters, `line ${line}`).toHaveLength(1);
            expect(reasons, `line ${line}: ${String(letters[0]!['detail'])}`).toContain(letters[0]!['reason']);
            expect(String(letters[0]!['detail']).length).toBeGreaterThan(0);
          }
          const strip = (rows: typeof result.deadLetters) => rows.map(({ reason, detail, raw }) => ({ reason, detail, raw }));
          expect(strip(result.deadLetters.filter((d) => !expectedAt.has(d.line)))).toEqual(strip(reference.deadLetters));

          expect(result.tables).toEqual(reference.tables);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 600_000);
});
