/**
 * Contact texts with known intents (issue 16, `pulse generate --intent-texts`): the intent follows
 * the contact reason (a RET_CANCEL contact is mostly a retention risk, a SALES_NEW one mostly a new
 * sale), the text is composed from the held-out wording of the intent corpus, so a model trained
 * on the corpus's training part meets wording it never saw. Its own random stream keeps every other
 * generated value as it is without the option.
 */
import { composeText, type CorpusChannel } from '../../operators/intent/corpus/compose.js';
import { INTENTS, type Intent } from '../../operators/intent/corpus/fragments.js';
import type { ContactChannelName } from './catalog.js';
import { Rng, cumulative } from './rng.js';

/** Shares of new_sale, upsell_cross_sell, retention_risk, service_issue, other by reason. */
const SHARES_BY_REASON: Readonly<Record<string, readonly number[]>> = {
  SALES_NEW: [0.7, 0.1, 0, 0.05, 0.15],
  SALES_UPGRADE: [0.05, 0.65, 0.05, 0.1, 0.15],
  BILL_PLAN_CHANGE: [0, 0.45, 0.15, 0.2, 0.2],
  RET_CANCEL: [0, 0.05, 0.7, 0.15, 0.1],
  BILL_DISPUTE: [0, 0, 0.2, 0.7, 0.1],
  BILL_PAYMENT: [0, 0.05, 0.05, 0.35, 0.55],
  ACCOUNT_UPDATE: [0, 0.1, 0.02, 0.18, 0.7],
};
/** Technical reasons and any other. */
const DEFAULT_SHARES = [0.01, 0.04, 0.08, 0.8, 0.07];

const CORPUS_CHANNEL: Readonly<Record<ContactChannelName, CorpusChannel>> = {
  voice: 'voice',
  chat: 'chat',
  email: 'email',
  web: 'email',
  social: 'chat',
  ivr: 'voice',
} as Readonly<Record<ContactChannelName, CorpusChannel>>;

/** A random stream apart from the events' own; the constant only separates the two. */
const STREAM = 0x16_1616;

export interface IntentTruth {
  contact_id: string;
  customer_id: string;
  intent: Intent;
}

export class IntentTexts {
  private readonly rng: Rng;
  private readonly cumulative = new Map<string, Float64Array>();
  readonly truth: IntentTruth[] = [];

  constructor(seed: number) {
    this.rng = new Rng(seed ^ STREAM);
  }

  /** The text of one contact (already chosen to have one); records its intent. */
  text(contactId: string, customerId: string, reason: string, channel: ContactChannelName): string {
    let cum = this.cumulative.get(reason);
    if (!cum) this.cumulative.set(reason, (cum = cumulative([...(SHARES_BY_REASON[reason] ?? DEFAULT_SHARES)])));
    const intent = INTENTS[this.rng.weighted(cum)]!;
    this.truth.push({ contact_id: contactId, customer_id: customerId, intent });
    return composeText(this.rng, intent, CORPUS_CHANNEL[channel] ?? 'email', 'holdout').text;
  }
}
