import type { Rng } from './rng.js';

/**
 * Malformed records of the kinds SPEC section 1 says a pipeline must reject, each with the
 * reject reason a correct decoder should give (copied into the ground truth).
 */
export const MALFORMED_KINDS = ['invalid_json', 'missing_field', 'wrong_type', 'negative_quantity', 'answered_before_queued'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export const EXPECTED_REJECT_REASON: Record<MalformedKind, string> = {
  invalid_json: 'invalid_json',
  missing_field: 'missing_field',
  wrong_type: 'wrong_type',
  negative_quantity: 'impossible_value',
  answered_before_queued: 'impossible_value',
};

/** Builds a malformed line of the given kind (index in MALFORMED_KINDS). */
export function malformedLine(kind: number, rng: Rng, eventId: string, customerId: string, tsMs: number): string {
  const ts = new Date(tsMs).toISOString();
  switch (MALFORMED_KINDS[kind]) {
    case 'invalid_json': {
      // Any proper prefix of a JSON object is invalid JSON; cut somewhere in the middle.
      const full = `{"type":"transaction","event_id":"${eventId}","ts":"${ts}","customer_id":"${customerId}","amount":${(rng.float() * 100).toFixed(2)},"channel":"web"}`;
      return full.slice(0, rng.int(10, full.length - 2));
    }
    case 'missing_field':
      return `{"type":"transaction","event_id":"${eventId}","ts":"${ts}","amount":${(rng.float() * 100).toFixed(2)},"channel":"store"}`;
    case 'wrong_type':
      return `{"type":"transaction","event_id":"${eventId}","ts":"${ts}","customer_id":"${customerId}","amount":"${(rng.float() * 100).toFixed(2)}","channel":"app"}`;
    case 'negative_quantity':
      return `{"type":"usage","event_id":"${eventId}","ts":"${ts}","customer_id":"${customerId}","metric":"data_mb","quantity":-${(1 + rng.float() * 500).toFixed(1)}}`;
    default: {
      const answered = new Date(tsMs - rng.int(5_000, 600_000)).toISOString();
      const ended = new Date(tsMs + rng.int(60_000, 900_000)).toISOString();
      return `{"type":"contact","event_id":"${eventId}","ts":"${ts}","customer_id":"${customerId}","contact_id":"X${eventId}","channel":"voice","queue":"billing","reason":"BILL_PAYMENT","agent_id":"A101","queued_at":"${ts}","answered_at":"${answered}","ended_at":"${ended}","hold_seconds":0,"acw_seconds":30,"disposition":"resolved"}`;
    }
  }
}
