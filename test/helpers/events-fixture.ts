import { writeFileSync } from 'node:fs';
import { Rng } from '../../sources/generator/rng.js';

/**
 * A small seeded event stream for spine tests, with what the test knows independently of the code
 * under test: each valid line's fields and epoch-ms time (times are written in mixed formats), and
 * the lines that were deliberately malformed.
 */
export interface FixtureEvent {
  line: number;
  event_id: string;
  type: 'transaction' | 'usage' | 'contact';
  customer_id: string;
  ts_ms: number;
  amount: number | null;
  metric: string | null;
  quantity: number | null;
}

export interface Fixture {
  path: string;
  valid: FixtureEvent[];
  malformed: Array<{ line: number; reason: string }>;
}

const START = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

function formatTime(ms: number, style: number): string | number {
  if (style === 0) return ms;
  if (style === 1) return new Date(ms).toISOString();
  // An RFC 3339 time with a +02:00 offset, written by hand.
  const shifted = new Date(ms + 2 * HOUR).toISOString().replace('Z', '+02:00');
  return shifted;
}

export function writeFixture(path: string, seed: number, count = 3000): Fixture {
  const rng = new Rng(seed);
  const next = (n: number): number => rng.int(0, n - 1);
  const lines: string[] = [];
  const valid: FixtureEvent[] = [];
  const malformed: Fixture['malformed'] = [];
  const emitted: string[] = [];
  let clock = START;
  for (let i = 0; i < count; i++) {
    clock += next(120_000); // ~1 event a minute on average
    let ts = clock - next(10 * 60_000); // out of order by up to 10 minutes
    if (next(100) === 0) ts = clock - (2 + next(3)) * HOUR; // late beyond 1h lateness (mostly)
    const roll = next(1000);
    if (roll < 10) {
      const bad = [
        ['not json at all {', 'invalid_json'],
        [JSON.stringify({ type: 'usage', event_id: `bad${i}`, ts, customer_id: 'C1', metric: 'logins', quantity: -2 }), 'impossible_value'],
        [JSON.stringify({ type: 'transaction', event_id: `bad${i}`, ts, customer_id: 'C1', channel: 'web' }), 'missing_field'],
        [JSON.stringify({ type: 'transaction', event_id: `bad${i}`, ts, customer_id: 'C1', amount: '12', channel: 'web' }), 'wrong_type'],
      ][roll % 4]!;
      lines.push(bad[0]!);
      malformed.push({ line: lines.length, reason: bad[1]! });
      continue;
    }
    if (roll < 25 && emitted.length > 0) {
      // An exact duplicate of a recent line.
      const copy = emitted[emitted.length - 1 - next(Math.min(emitted.length, 20))]!;
      lines.push(copy);
      const original = valid.find((e) => e.event_id === (JSON.parse(copy) as { event_id: string }).event_id)!;
      valid.push({ ...original, line: lines.length });
      continue;
    }
    const customer_id = `C${next(40)}`;
    const event_id = `E${i}`;
    const kind = next(10);
    let record: Record<string, unknown>;
    let event: FixtureEvent;
    if (kind < 6) {
      const amount = next(20) === 0 ? -(1 + next(5000) / 100) : next(50000) / 100;
      record = { type: 'transaction', event_id, ts: formatTime(ts, next(3)), customer_id, amount, channel: 'web' };
      event = { line: 0, event_id, type: 'transaction', customer_id, ts_ms: ts, amount, metric: null, quantity: null };
    } else if (kind < 9) {
      const metric = ['data_mb', 'minutes', 'logins'][next(3)]!;
      const quantity = next(10000) / 10;
      record = { type: 'usage', event_id, ts: formatTime(ts, next(3)), customer_id, metric, quantity };
      event = { line: 0, event_id, type: 'usage', customer_id, ts_ms: ts, amount: null, metric, quantity };
    } else {
      const answered = next(4) === 0 ? null : ts + next(60_000);
      record = {
        type: 'contact',
        event_id,
        customer_id,
        contact_id: `K${i}`,
        channel: 'voice',
        queue: 'billing',
        reason: 'bill',
        agent_id: null,
        queued_at: formatTime(ts, next(3)),
        answered_at: answered === null ? null : formatTime(answered, 0),
        ended_at: formatTime((answered ?? ts) + 60_000, 1),
        hold_seconds: 0,
        acw_seconds: 10,
        disposition: answered === null ? 'abandoned' : 'resolved',
      };
      event = { line: 0, event_id, type: 'contact', customer_id, ts_ms: ts, amount: null, metric: null, quantity: null };
    }
    const text = JSON.stringify(record);
    lines.push(text);
    emitted.push(text);
    valid.push({ ...event, line: lines.length });
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return { path, valid, malformed };
}
