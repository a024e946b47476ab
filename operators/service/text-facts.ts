/**
 * Condition fields computed from a text: `<prefix>_intent`, `<prefix>_intent_confidence` and
 * `<prefix>_sentiment` (the sentiment score), with prefix `text` on contacts and `comment` on
 * surveys. Each is computed at most once per event, and only when a condition reads it.
 */
import type { IntentPrediction } from '../intent/model.js';
import type { FactValue } from './expression.js';
import { scoreText } from './sentiment.js';
import type { ServiceTriggerSettings } from './types.js';

export const TEXT_FACTS = ['intent', 'intent_confidence', 'sentiment'] as const;

/** The field names of a prefix, e.g. comment_intent, comment_intent_confidence, comment_sentiment. */
export const textFactFields = (prefix: string): string[] => TEXT_FACTS.map((f) => `${prefix}_${f}`);

/** Whether a condition field needs the intent model. */
export const needsIntentModel = (field: string): boolean => /_intent(_confidence)?$/.test(field);

/** A lookup of the text facts of one text; undefined (every clause false) when there is no text. */
export function textFacts(text: string | null | undefined, settings: Pick<ServiceTriggerSettings, 'classifier' | 'lexicon'>): (fact: string) => FactValue | undefined {
  let prediction: IntentPrediction | undefined;
  let sentiment: number | undefined;
  return (fact) => {
    if (!text) return undefined;
    switch (fact) {
      case 'intent':
      case 'intent_confidence':
        if (!settings.classifier) return undefined;
        prediction ??= settings.classifier.classify(text);
        return fact === 'intent' ? prediction.intent : prediction.confidence;
      case 'sentiment':
        sentiment ??= scoreText(text, settings.lexicon).score;
        return sentiment;
      default:
        return undefined;
    }
  };
}
