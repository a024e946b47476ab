import { describe, expect, test } from 'vitest';
import { UsageError } from '../../../operators/errors.js';
import { composeCorpus } from '../../../operators/intent/corpus/compose.js';
import { featureSlots } from '../../../operators/intent/features.js';
import { IntentClassifier, parseModel, serializeModel } from '../../../operators/intent/model.js';
import { DEFAULT_TRAIN_OPTIONS, trainIntentModel } from '../../../operators/intent/train.js';
import { evaluatePredictions } from '../../../operators/intent/evaluate.js';

const SMALL = { ...DEFAULT_TRAIN_OPTIONS, buckets: 1 << 12, epochs: 6 };
const TRAIN = composeCorpus(7, 600, 'train');
const FIXED_TIME = { trainedAt: '2026-12-03T00:00:00.000Z' };

describe('intent training', () => {
  test('the same examples, options and seed give the same model bytes', () => {
    const a = serializeModel(trainIntentModel(TRAIN, SMALL, FIXED_TIME));
    const b = serializeModel(trainIntentModel(TRAIN, SMALL, FIXED_TIME));
    expect(a).toBe(b);
    const other = serializeModel(trainIntentModel(TRAIN, { ...SMALL, seed: SMALL.seed + 1 }, FIXED_TIME));
    expect(other).not.toBe(a); // the seed decides the visiting order, so it changes the fit
  });

  test('a model learns separable toy intents and round-trips through its file format', () => {
    const toy = [
      ...Array.from({ length: 20 }, (_, i) => ({ text: `please cancel my contract ${i}`, intent: 'retention_risk' })),
      ...Array.from({ length: 20 }, (_, i) => ({ text: `add another line to my plan ${i}`, intent: 'upsell_cross_sell' })),
    ];
    const model = parseModel(serializeModel(trainIntentModel(toy, SMALL, FIXED_TIME)), 'toy.json');
    const classifier = new IntentClassifier(model);
    expect(model.labels).toEqual(['upsell_cross_sell', 'retention_risk']); // the project's order
    expect(classifier.classify('I want to cancel the contract')?.intent).toBe('retention_risk');
    const upsell = classifier.classify('could you add a line to the plan')!;
    expect(upsell.intent).toBe('upsell_cross_sell');
    expect(upsell.confidence).toBeGreaterThan(0.5);
    expect(upsell.confidence).toBeLessThanOrEqual(1);
  });

  test('the bundled training settings beat chance by far on held-out wording (small model)', () => {
    const holdout = composeCorpus(7, 300, 'holdout');
    const classifier = new IntentClassifier(trainIntentModel(TRAIN, SMALL, FIXED_TIME));
    const e = evaluatePredictions(
      classifier.model.labels,
      holdout.map((h) => h.intent),
      holdout.map((h) => classifier.classify(h.text)?.intent ?? ''),
    );
    expect(e.macroF1).toBeGreaterThan(0.6); // chance is about 0.2
  });

  test('training needs two intents', () => {
    // Bad input, exit 2, not a crash with a stack.
    expect(() => trainIntentModel([{ text: 'x', intent: 'other' }], SMALL)).toThrow(UsageError);
    expect(() => trainIntentModel([{ text: 'x', intent: 'other' }], SMALL)).toThrow(/at least two intents; the labels have 1 \(other\)/);
  });
});

describe('features', () => {
  test('agent lines are left out; case and apostrophes do not matter', () => {
    const slots = (t: string): number[] => {
      const out: number[] = [];
      featureSlots(t, 1 << 16, out);
      return out;
    };
    expect(slots('Agent: would you like to upgrade?\nCustomer: I don’t want it')).toEqual(slots("customer: i don't want it"));
    expect(slots('CANCEL')).toEqual(slots('cancel'));
    expect(slots('')).toEqual([]);
  });

  test('a negator marks the next three words', () => {
    const count = (t: string): number => featureSlots(t, 1 << 16, []);
    // "cancel" alone: unigram + char n-grams; after "not" it also gets a bigram and a negated feature.
    const plain = count('cancel');
    const notWord = count('not');
    expect(count('not cancel')).toBe(plain + notWord + 2);
  });
});
