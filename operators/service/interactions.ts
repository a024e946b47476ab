/**
 * The interaction triggers over a customer's recent contacts (README.md, "Interaction triggers").
 * Each returns what fired (for the alert text) or null. `recent` is ascending by queued_at and
 * already holds the contact being evaluated.
 */
import type { ContactEvent } from '../events.js';
import type { IntentPrediction } from '../intent/model.js';
import { scoreText, type SentimentScore } from './sentiment.js';
import { insertExact, keepNewest } from '../state-list.js';
import type { InteractionRule, RecentContact, ServiceTriggerSettings } from './types.js';
import type { TextFacts } from './text-facts.js';

export type InteractionMatch =
  | { trigger: 'unresolved_contacts'; contacts: RecentContact[] }
  | { trigger: 'repeat_reason'; prior: RecentContact }
  | { trigger: 'escalation'; matched: string[] }
  | { trigger: 'negative_text'; sentiment: SentimentScore }
  | { trigger: 'intent'; prediction: IntentPrediction; evidenceFrom: number };

/** The recent contacts with `contact` inserted in queued_at order (ties keep arrival order), the newest `max` of them (a new list: state-list.ts). */
export function recordContact(recent: readonly RecentContact[], contact: RecentContact, max: number): RecentContact[] {
  let i = recent.length;
  while (i > 0 && recent[i - 1]!.t > contact.t) i--;
  return keepNewest(insertExact(recent, i, contact), max);
}

/** Drops contacts queued before `before`; returns true when none are left. */
export function expireContacts(recent: RecentContact[], before: number): boolean {
  let n = 0;
  while (n < recent.length && recent[n]!.t < before) n++;
  if (n > 0) recent.splice(0, n);
  return recent.length === 0;
}

export function matchInteraction(
  rule: InteractionRule,
  event: ContactEvent,
  recent: readonly RecentContact[],
  settings: Pick<ServiceTriggerSettings, 'lexicon'>,
  /** The contact text's intent, computed once per contact however many rules ask (text-facts.ts). */
  text: Pick<TextFacts, 'intent' | 'evidenceFrom'>,
): InteractionMatch | null {
  switch (rule.trigger) {
    case 'unresolved_contacts': {
      // The contact at hand must be one of them: the rule fires when the Nth arrives.
      if (!rule.dispositions.has(event.disposition)) return null;
      const from = event.queued_at - rule.withinMs;
      const contacts = recent.filter((c) => c.t > from && c.t <= event.queued_at && rule.dispositions.has(c.d));
      return contacts.length >= rule.count ? { trigger: 'unresolved_contacts', contacts } : null;
    }
    case 'repeat_reason': {
      let prior: RecentContact | null = null;
      for (const c of recent) {
        if (c.id === event.contact_id || c.r !== event.reason) continue;
        if (c.t <= event.queued_at && event.queued_at - c.t <= rule.withinMs && (prior === null || c.t >= prior.t)) prior = c;
      }
      return prior ? { trigger: 'repeat_reason', prior } : null;
    }
    case 'escalation': {
      const matched: string[] = [];
      if (rule.dispositions.has(event.disposition)) matched.push(`disposition=${event.disposition}`);
      if (rule.reasons.has(event.reason.toLowerCase())) matched.push(`reason=${event.reason}`);
      if (rule.queues.has(event.queue.toLowerCase())) matched.push(`queue=${event.queue}`);
      return matched.length > 0 ? { trigger: 'escalation', matched } : null;
    }
    case 'negative_text': {
      if (!event.text) return null;
      const sentiment = scoreText(event.text, settings.lexicon);
      return sentiment.score <= rule.threshold ? { trigger: 'negative_text', sentiment } : null;
    }
    case 'intent': {
      const prediction = text.intent();
      if (!prediction || !rule.intents.has(prediction.intent) || prediction.confidence < rule.minConfidence) return null;
      return { trigger: 'intent', prediction, evidenceFrom: text.evidenceFrom() };
    }
  }
}
