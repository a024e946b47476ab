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
export interface TextFacts {
  /** A condition field's value by its name without the prefix (`intent`, `sentiment`, ...). */
  fact(name: string): FactValue | undefined;
  /** The intent prediction; undefined without a text or a model. */
  intent(): IntentPrediction | undefined;
  /** Where the text's evidence of its predicted intent starts (its most likely sentence); 0 without one. */
  evidenceFrom(): number;
}

export function textFacts(text: string | null | undefined, settings: Pick<ServiceTriggerSettings, 'classifier' | 'lexicon'>): TextFacts {
  let prediction: IntentPrediction | undefined;
  let sentiment: number | undefined;
  const intent = (): IntentPrediction | undefined => {
    if (!text || !settings.classifier) return undefined;
    return (prediction ??= settings.classifier.classify(text));
  };
  const fact = (name: string): FactValue | undefined => {
    if (!text) return undefined;
    switch (name) {
      case 'intent':
        return intent()?.intent;
      case 'intent_confidence':
        return intent()?.confidence;
      case 'sentiment':
        sentiment ??= scoreText(text, settings.lexicon).score;
        return sentiment;
      default:
        return undefined;
    }
  };
  const evidenceFrom = (): number => {
    const predicted = intent();
    return predicted && text && settings.classifier ? settings.classifier.strongestSentence(text, predicted.intent) : 0;
  };
  return { fact, intent, evidenceFrom };
}
