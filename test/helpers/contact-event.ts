import type { ContactEvent } from '../../operators/events.js';

/**
 * A contact queued at `ts`, answered a second later and resolved after a minute (voice, queue `q`,
 * no agent, no text, reason `general`); `fields` sets the rest (customer, ids, channel, queue, reason...).
 */
export function answeredContact(ts: number, fields: Partial<ContactEvent> = {}): ContactEvent {
  return {
    type: 'contact',
    event_id: `e${ts}`,
    ts,
    customer_id: 'c1',
    contact_id: `k${ts}`,
    channel: 'voice',
    queue: 'q',
    reason: 'general',
    agent_id: null,
    queued_at: ts,
    answered_at: ts + 1000,
    ended_at: ts + 60_000,
    hold_seconds: 0,
    acw_seconds: 0,
    disposition: 'resolved',
    text: null,
    ...fields,
  };
}
