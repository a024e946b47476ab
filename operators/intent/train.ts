/**
 * Training of the intent model (model.ts): multinomial logistic regression fitted by stochastic
 * gradient descent, examples visited in a seeded shuffled order each epoch, learning rate decaying
 * as lr / (1 + epoch), L2 shrinkage of the weights an example touches. Plain loops in a fixed order
 * over float64, so the same examples, options and seed give the same bytes of model.
 */
import { UsageError } from '../errors.js';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { featureSlots } from './features.js';
import { featureScale, softmaxOver, type IntentModel } from './model.js';

export interface LabelledExample {
  text: string;
  intent: string;
}

export interface TrainOptions {
  seed: number;
  epochs: number;
  learningRate: number;
  l2: number;
  /** Hash slots, a power of two. */
  buckets: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { seed: 16, epochs: 10, learningRate: 0.5, l2: 1e-3, buckets: 1 << 16 };

/** The order of labels in a model: the project's five intents first, then any others by name. */
export const KNOWN_INTENTS = ['new_sale', 'upsell_cross_sell', 'retention_risk', 'service_issue', 'other'] as const;

export function labelOrder(examples: readonly LabelledExample[]): string[] {
  const seen = new Set(examples.map((e) => e.intent));
  const known = KNOWN_INTENTS.filter((i) => seen.has(i));
  return [...known, ...[...seen].filter((i) => !(KNOWN_INTENTS as readonly string[]).includes(i)).sort()];
}

function shuffle(order: Int32Array, next: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = (next() >>> 0) % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

export function trainIntentModel(
  examples: readonly LabelledExample[],
  options: TrainOptions = DEFAULT_TRAIN_OPTIONS,
  extra: { labelsSha256?: string; trainedAt?: string } = {},
): IntentModel {
  const labels = labelOrder(examples);
  if (labels.length < 2) {
    throw new UsageError(`training needs texts of at least two intents; the labels have ${labels.length} (${labels.join(', ')}): add texts of the others`);
  }
  const k = labels.length;
  const index = new Map(labels.map((l, i) => [l, i]));
  const scratch: number[] = [];
  const docs = examples.map((e) => {
    const n = featureSlots(e.text, options.buckets, scratch);
    return { slots: Int32Array.from(scratch), scale: featureScale(n), label: index.get(e.intent)! };
  });
  const weights = new Float64Array(options.buckets * k);
  const bias = new Float64Array(k);
  const p = new Float64Array(k);
  const gen = xoroshiro128plus(options.seed | 0);
  const next = (): number => gen.next();
  const order = Int32Array.from(docs.keys());
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, next);
    const lr = options.learningRate / (1 + epoch);
    const shrink = 1 - lr * options.l2;
    for (const d of order) {
      const doc = docs[d]!;
      softmaxOver(weights, bias, doc.slots, doc.slots.length, doc.scale, p);
      for (let c = 0; c < k; c++) {
        const gradient = p[c]! - (c === doc.label ? 1 : 0);
        bias[c]! -= lr * gradient;
        const step = lr * gradient * doc.scale;
        for (const slot of doc.slots) {
          const at = slot * k + c;
          weights[at] = weights[at]! * shrink - step;
        }
      }
    }
  }
  return {
    labels,
    buckets: options.buckets,
    weights: Float32Array.from(weights),
    bias: Float32Array.from(bias),
    training: {
      examples: examples.length,
      seed: options.seed,
      epochs: options.epochs,
      learning_rate: options.learningRate,
      l2: options.l2,
      ...(extra.labelsSha256 ? { labels_sha256: extra.labelsSha256 } : {}),
      trained_at: extra.trainedAt ?? new Date().toISOString(),
    },
  };
}
