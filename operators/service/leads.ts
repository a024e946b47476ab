/**
 * Leads (issue 16): a firing of an `intent` rule is a lead for its team. The operator writes the
 * `leads` row once, with status `new`; people move it on (`pulse leads update`, sinks/leads).
 */
import type { ContactEvent } from '../events.js';
import type { IntentPrediction } from '../intent/model.js';
import type { OutputRow } from '../operator.js';
import type { CustomerFacts } from './describe.js';
import { clipTextFrom } from '../text-clip.js';

export const LEAD_STATUSES = ['new', 'contacted', 'won', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

const EXCERPT_CHARS = 200;

/** Same alert, same lead (replays included). */
export const leadIdOf = (alertId: string): string => `lead-${alertId.slice(0, 16)}`;

export function leadRow(
  alertId: string,
  customerId: string,
  event: ContactEvent,
  prediction: IntentPrediction,
  /** Where the text's evidence of the intent starts: the excerpt starts there. */
  evidenceFrom: number,
  customer: CustomerFacts,
  team: string,
): OutputRow {
  const text = event.text ?? '';
  return {
    lead_id: leadIdOf(alertId),
    alert_id: alertId,
    customer_id: customerId,
    intent: prediction.intent,
    confidence: Math.round(prediction.confidence * 1e4) / 1e4,
    source_contact: event.contact_id,
    team,
    tier: customer.tier,
    account_owner: customer.account_owner,
    trailing_spend: Math.round(customer.trailing_spend * 100) / 100,
    excerpt: clipTextFrom(text, evidenceFrom, EXCERPT_CHARS),
    created_at: event.queued_at,
    status: 'new',
    value: null,
    updated_by: null,
    updated_at: null,
  };
}
