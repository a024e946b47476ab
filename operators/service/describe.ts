/**
 * Alert texts of the service triggers: summary and description quote what matched (the answers,
 * the contacts, the words) and the customer facts, so the person notified needs no lookup.
 */
import { formatDuration } from '../duration.js';
import type { ContactEvent, SurveyEvent } from '../events.js';
import { type FactLookup, formatFact } from './expression.js';
import type { InteractionMatch } from './interactions.js';
import type { InteractionRule, SurveyRule } from './types.js';
import { clipText, clipTextFrom } from '../text-clip.js';

export interface CustomerFacts {
  customer_id: string;
  tier: string;
  account_owner: string | null;
  trailing_spend: number;
  trailingSpendDays: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function customerLine(c: CustomerFacts): string {
  const owner = c.account_owner ? `, account owner ${c.account_owner}` : '';
  return `Customer ${c.customer_id}: tier ${c.tier}, trailing spend ${c.trailing_spend.toFixed(2)} over ${c.trailingSpendDays} days${owner}.`;
}

/**
 * An alert quotes its input (words, contacts, answers, a comment), and an alert row, its outbox
 * payloads and its e-mail are kept and sent whole: each quote is bounded, so that an alert's size
 * depends on the rule, never on the record (a 900 KB transcript made a 630 KB description, and two
 * hundred of them ran DuckDB out of memory in a checkpoint).
 */
const MAX_LISTED = 10;
const MAX_QUOTE_CHARS = 200;
const MAX_ANSWERS_JSON_CHARS = 2_000;

/** The first `MAX_LISTED` items, and how many more there were. */
function listed(items: readonly string[], separator: string): string {
  const shown = items.slice(0, MAX_LISTED).join(separator);
  return items.length > MAX_LISTED ? `${shown}${separator}… and ${items.length - MAX_LISTED} more` : shown;
}

/** A survey's answers as JSON, up to the answers that fit in `MAX_ANSWERS_JSON_CHARS`; a key "…" counts the rest. */
function answersJson(answers: Readonly<Record<string, unknown>>): string {
  const whole = JSON.stringify(answers);
  if (whole.length <= MAX_ANSWERS_JSON_CHARS) return whole;
  const kept: Record<string, unknown> = {};
  const entries = Object.entries(answers);
  let size = 2;
  let count = 0;
  for (const [key, value] of entries) {
    const name = excerpt(key);
    const shown = typeof value === 'string' ? excerpt(value) : value;
    const entrySize = JSON.stringify(name).length + JSON.stringify(shown).length + 2;
    if (size + entrySize > MAX_ANSWERS_JSON_CHARS) break;
    kept[name] = shown;
    size += entrySize;
    count += 1;
  }
  kept['…'] = `${entries.length - count} more answers`;
  return JSON.stringify(kept);
}

/** `field=value` for every field a condition reads. */
function quoted(fields: readonly string[], facts: FactLookup): string {
  return fields.map((f) => `${f}=${excerpt(formatFact(facts(f)))}`).join(', ');
}

export function surveyTexts(rule: SurveyRule, event: SurveyEvent, facts: FactLookup, customer: CustomerFacts): Record<string, string> {
  const conditions = [rule.when, ...(rule.customer ? [rule.customer] : [])];
  const fields = [...new Set(conditions.flatMap((c) => c.fields))];
  const answers = fields.filter((f) => f.startsWith('answers.') || f === 'comment' || f === 'survey_id');
  const others = fields.filter((f) => !answers.includes(f));
  const comment = event.comment ? ` Comment: ${JSON.stringify(excerpt(event.comment))}.` : '';
  return {
    summary: `Survey ${event.survey_id} of ${customer.tier} customer ${customer.customer_id} matched ${rule.name}`,
    description:
      `Answers that matched: ${quoted(answers, facts) || '(none)'}` +
      `${others.length > 0 ? `; customer conditions: ${quoted(others, facts)}` : ''};` +
      ` Rule: ${conditions.map((c) => c.text).join(' and ')}. ${customerLine(customer)}${comment}`,
    survey_id: event.survey_id,
    answers: answersJson(event.answers),
    tier: customer.tier,
    trailing_spend: customer.trailing_spend.toFixed(2),
    event_time: iso(event.ts),
  };
}

export function interactionTexts(rule: InteractionRule, event: ContactEvent, match: InteractionMatch, customer: CustomerFacts): Record<string, string> {
  const within = formatDuration(rule.withinMs);
  let summary: string;
  let detail: string;
  const extra: Record<string, string> = {};
  switch (match.trigger) {
    case 'unresolved_contacts':
      summary = `${match.contacts.length} unresolved contacts within ${within} from ${customer.tier} customer ${customer.customer_id}`;
      detail =
        `Contacts (${[...rule.dispositions].join('/')}, threshold ${rule.count} within ${within}): ` +
        listed(
          match.contacts.map((c) => `${c.id} at ${iso(c.t)} ${c.d} (${c.r})`),
          '; ',
        ) +
        '.';
      extra['current'] = String(match.contacts.length);
      extra['threshold'] = String(rule.count);
      break;
    case 'repeat_reason':
      summary = `Repeat contact about ${event.reason} within ${within} from ${customer.tier} customer ${customer.customer_id}`;
      detail =
        `Contact ${event.contact_id} at ${iso(event.queued_at)} (${event.disposition}) repeats ${match.prior.id} at ` +
        `${iso(match.prior.t)} (${match.prior.d}), ${formatDuration(event.queued_at - match.prior.t)} apart, same reason ${event.reason}.`;
      extra['previous_contact_id'] = match.prior.id;
      break;
    case 'escalation':
      summary = `Escalation on contact ${event.contact_id} of ${customer.tier} customer ${customer.customer_id}`;
      detail = `Contact ${event.contact_id} at ${iso(event.queued_at)} matched ${match.matched.join(', ')} (queue ${event.queue}, channel ${event.channel}).`;
      break;
    case 'negative_text':
      summary = `Negative wording (score ${fmt(match.sentiment.score)}) from ${customer.tier} customer ${customer.customer_id}`;
      detail =
        `Contact ${event.contact_id} scored ${fmt(match.sentiment.score)} <= ${fmt(rule.threshold)}: ` +
        // The angriest words first.
        `${listed(
          [...match.sentiment.words].sort((a, b) => a.score - b.score).map((w) => `${w.word} (${fmt(w.score)})`),
          ', ',
        )}. Text: ${JSON.stringify(excerpt(event.text ?? ''))}.`;
      extra['current'] = fmt(match.sentiment.score);
      extra['threshold'] = fmt(rule.threshold);
      break;
    case 'intent':
      summary = `Intent ${match.prediction.intent} (confidence ${match.prediction.confidence.toFixed(2)}) from ${customer.tier} customer ${customer.customer_id}`;
      detail =
        `Contact ${event.contact_id} at ${iso(event.queued_at)} (${event.channel}) classified ${match.prediction.intent} with confidence ` +
        `${match.prediction.confidence.toFixed(3)} >= ${rule.minConfidence}. Text: ${JSON.stringify(clipTextFrom(event.text ?? '', match.evidenceFrom, MAX_QUOTE_CHARS))}.`;
      extra['intent'] = match.prediction.intent;
      extra['current'] = match.prediction.confidence.toFixed(3);
      extra['threshold'] = String(rule.minConfidence);
      extra['text_excerpt'] = clipTextFrom(event.text ?? '', match.evidenceFrom, MAX_QUOTE_CHARS);
      break;
  }
  const where = rule.where ? ` Condition: ${rule.where.text}.` : '';
  const cust = rule.customer ? ` Customer condition: ${rule.customer.text}.` : '';
  return {
    summary,
    description: `${detail}${where}${cust} ${customerLine(customer)}`,
    contact_id: event.contact_id,
    reason: event.reason,
    queue: event.queue,
    channel: event.channel,
    tier: customer.tier,
    trailing_spend: customer.trailing_spend.toFixed(2),
    event_time: iso(event.queued_at),
    ...extra,
  };
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function excerpt(text: string): string {
  return clipText(text, MAX_QUOTE_CHARS);
}
