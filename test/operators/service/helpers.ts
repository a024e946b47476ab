import { parse } from 'yaml';
import type { ContactEvent, Disposition, ProfileEvent, SurveyAnswer, SurveyEvent, TransactionEvent } from '../../../operators/events.js';
import type { Alert } from '../../../operators/alert.js';
import type { Operator, OutputRow } from '../../../operators/operator.js';
import { resolveServiceTriggers } from '../../../operators/service/config.js';
import { ServiceTriggersOperator } from '../../../operators/service/operator.js';

export const T0 = Date.UTC(2026, 2, 2, 0, 0, 0); // 2026-03-02T00:00:00Z, a Monday
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

let seq = 0;
const nextId = (): string => `e${++seq}`;

export function profile(customer_id: string, tier: string | null, ts = T0 - DAY, account_owner: string | null = 'owner@example.com'): ProfileEvent {
  return {
    type: 'profile',
    event_id: nextId(),
    ts,
    customer_id,
    account_owner,
    region: 'north',
    age_band: '35-44',
    tier,
    signup_date: '2024-01-01',
    attributes: { segment: 'family' },
  };
}

export function transaction(customer_id: string, amount: number, ts: number): TransactionEvent {
  return { type: 'transaction', event_id: nextId(), ts, customer_id, amount, currency: 'EUR', channel: 'web', category: null };
}

export function survey(
  customer_id: string,
  answers: Record<string, SurveyAnswer>,
  ts: number,
  survey_id = `S${++seq}`,
  comment: string | null = null,
): SurveyEvent {
  return { type: 'survey', event_id: nextId(), ts, customer_id, survey_id, answers, comment };
}

export function contact(
  customer_id: string | null,
  queued_at: number,
  fields: Partial<Pick<ContactEvent, 'reason' | 'queue' | 'channel' | 'text' | 'contact_id'>> & { disposition?: Disposition } = {},
): ContactEvent {
  return {
    type: 'contact',
    event_id: nextId(),
    ts: queued_at,
    customer_id,
    contact_id: fields.contact_id ?? `K${++seq}`,
    channel: fields.channel ?? 'voice',
    queue: fields.queue ?? 'billing',
    reason: fields.reason ?? 'BILL_DISPUTE',
    agent_id: 'A1',
    queued_at,
    answered_at: queued_at + 10_000,
    ended_at: queued_at + 300_000,
    hold_seconds: 0,
    acw_seconds: 30,
    disposition: fields.disposition ?? 'resolved',
    text: fields.text ?? null,
  };
}

/** Builds the operator from a YAML block through the real schema and build step. */
export function operatorFromYaml(yaml: string, allowedLatenessMs = 0, name = 'service'): ServiceTriggersOperator {
  return new ServiceTriggersOperator(name, resolveServiceTriggers(parse(yaml), allowedLatenessMs));
}

export function drain(op: Operator): { alerts: Alert[]; cases: OutputRow[] } {
  const alerts: Alert[] = [];
  const cases: OutputRow[] = [];
  for (const out of op.drainOutputs()) {
    if (out.kind === 'alert') alerts.push(...(out.rows as unknown as Alert[]));
    if (out.kind === 'case') cases.push(...out.rows);
  }
  return { alerts, cases };
}

/** Persists state changes into a plain map, as the store would (upserts and deletes). */
export function persist(op: Operator, store: Map<string, Map<string, unknown>>): void {
  for (const [name, keyed] of Object.entries(op.states)) {
    const table = store.get(name) ?? new Map<string, unknown>();
    const { upserts, deletes } = keyed.drainChanges();
    for (const key of deletes) table.delete(key);
    // JSON round trip, as the store does: no shared objects survive a restart.
    for (const [key, value] of upserts) table.set(key, JSON.parse(JSON.stringify(value)));
    store.set(name, table);
  }
}

export function restore(op: Operator, store: Map<string, Map<string, unknown>>): void {
  for (const [name, keyed] of Object.entries(op.states)) keyed.restore([...(store.get(name) ?? new Map()).entries()]);
}
