/**
 * A small NDJSON stream for the live scrape test (SPEC section 1 fields, `ts` as epoch ms): events
 * spread over the last three hours in time order, so hourly windows close while it is read, plus a
 * few duplicates and invalid records so the reject counters have series.
 */
export interface LiveStream {
  lines: string[];
  valid: number;
  invalid: number;
  duplicates: number;
}

export function liveEventStream(now: number, count = 3000): LiveStream {
  const start = now - 3 * 3600_000;
  const step = Math.floor((3 * 3600_000 - 60_000) / count);
  const lines: string[] = [];
  const queues = ['billing', 'support'];
  const channels = ['voice', 'chat'] as const;
  for (let i = 0; i < count; i++) {
    const ts = start + i * step;
    const customer = `c${i % 120}`;
    const kind = i % 10;
    if (kind < 5) {
      lines.push(
        JSON.stringify({
          type: 'transaction',
          event_id: `t${i}`,
          ts,
          customer_id: customer,
          amount: kind === 4 ? -5 : 10 + (i % 17),
          currency: 'EUR',
          channel: 'web',
        }),
      );
    } else if (kind < 8) {
      lines.push(JSON.stringify({ type: 'usage', event_id: `u${i}`, ts, customer_id: customer, metric: kind === 5 ? 'data_mb' : 'logins', quantity: i % 50 }));
    } else {
      const answered = i % 7 !== 0;
      const queuedAt = ts;
      lines.push(
        JSON.stringify({
          type: 'contact',
          event_id: `k${i}`,
          ts,
          customer_id: customer,
          contact_id: `k${i}`,
          channel: channels[i % 2],
          queue: queues[(i >> 1) % 2],
          reason: i % 3 === 0 ? 'billing_question' : 'outage',
          agent_id: answered ? `a${i % 5}` : null,
          queued_at: queuedAt,
          answered_at: answered ? queuedAt + 15_000 : null,
          ended_at: queuedAt + (answered ? 300_000 : 40_000),
          hold_seconds: 0,
          acw_seconds: 30,
          disposition: answered ? 'resolved' : 'abandoned',
        }),
      );
    }
  }
  // Duplicates of early events (same event_id): counted once, not rejected.
  const duplicates = 10;
  for (let i = 0; i < duplicates; i++) lines.push(lines[i * 10]!);
  // Invalid records, interleaved at the end: dead letters with reasons.
  const invalidRecords = [
    '{"type": "transaction", "event_id": "bad-json"',
    'not json at all',
    JSON.stringify({ type: 'usage', event_id: 'neg', ts: now - 60_000, customer_id: 'c1', metric: 'logins', quantity: -3 }),
    JSON.stringify({ type: 'transaction', event_id: 'no-customer', ts: now - 60_000, amount: 5, channel: 'web' }),
    JSON.stringify({
      type: 'contact',
      event_id: 'answered-early',
      contact_id: 'x',
      channel: 'voice',
      queue: 'billing',
      reason: 'r',
      queued_at: now - 60_000,
      answered_at: now - 120_000,
      ended_at: now - 30_000,
      disposition: 'resolved',
      customer_id: 'c2',
    }),
  ];
  const invalid: string[] = [];
  for (let i = 0; i < 20; i++) invalid.push(invalidRecords[i % invalidRecords.length]!);
  lines.push(...invalid);
  return { lines, valid: count, invalid: invalid.length, duplicates };
}
