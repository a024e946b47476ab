/**
 * The intent model: multinomial logistic regression over hashed features (features.ts). Weights
 * are a dense `buckets x labels` Float32Array, row-major by slot. The model file is JSON with the
 * weights in base64 (little-endian float32), versioned by `format` and `format_version`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { featureSlots } from './features.js';

export const MODEL_FORMAT = 'customer-pulse/intent-model';
export const MODEL_FORMAT_VERSION = 1;

export interface TrainingInfo {
  examples: number;
  seed: number;
  epochs: number;
  learning_rate: number;
  l2: number;
  /** SHA-256 of the labels file's bytes, when trained from a file. */
  labels_sha256?: string;
  trained_at: string;
}

export interface IntentModel {
  labels: readonly string[];
  buckets: number;
  weights: Float32Array;
  bias: Float32Array;
  training: TrainingInfo;
}

export interface IntentPrediction {
  intent: string;
  /** Softmax probability of the chosen intent, 0 to 1. */
  confidence: number;
}

/** A model file that cannot be used; a configuration error (exit code 2) wherever it is named. */
export class ModelFileError extends ConfigError {}

/**
 * The model trained on the project's corpus, shipped with the package: beside this module when it
 * runs from source (tests), under the package root's operators/intent/ when it runs from dist/.
 */
const BESIDE_SOURCE = new URL('./default-model.json', import.meta.url);
export const DEFAULT_MODEL_PATH = existsSync(BESIDE_SOURCE) ? BESIDE_SOURCE : new URL('../../../operators/intent/default-model.json', import.meta.url);

/** Reads and checks a model file (at build time, never per event). */
export function loadModelFile(path: string | URL = DEFAULT_MODEL_PATH): IntentModel {
  const source = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(
      `${source}: cannot read the intent model (${(err as Error).message}); train one with pulse intent train --labels FILE --out ${source}`,
    );
  }
  return parseModel(text, source);
}

/**
 * The model's forward pass: softmax over labels of `bias + scale * sum of the weight rows of
 * slots[0..n)`, written into `out`. Shared by prediction (float32 weights) and training (float64).
 */
export function softmaxOver(weights: ArrayLike<number>, bias: ArrayLike<number>, slots: ArrayLike<number>, n: number, scale: number, out: Float64Array): void {
  const k = out.length;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const row = slots[i]! * k;
    for (let c = 0; c < k; c++) out[c]! += weights[row + c]!;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    out[c] = out[c]! * scale + bias[c]!;
    if (out[c]! > max) max = out[c]!;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < k; c++) out[c] = out[c]! / sum;
}

/** 1/sqrt(n): every text's feature vector has unit length, long or short. */
export const featureScale = (n: number): number => (n > 0 ? 1 / Math.sqrt(n) : 0);

/**
 * Scores one text into `probabilities` (one per label; reused by the caller to avoid allocation)
 * using `slots` as scratch space.
 */
export function scoreIntents(model: IntentModel, text: string, slots: number[], probabilities: Float64Array): number {
  const n = featureSlots(text, model.buckets, slots);
  softmaxOver(model.weights, model.bias, slots, n, featureScale(n), probabilities);
  return n;
}

/** A classifier bound to one model, with its scratch buffers (one per thread). */
export class IntentClassifier {
  private readonly slots: number[] = [];
  private readonly probabilities: Float64Array;

  constructor(readonly model: IntentModel) {
    this.probabilities = new Float64Array(model.labels.length);
  }

  /**
   * The most likely intent of `text`, or undefined for a text without a word to go by (empty,
   * spaces, emoji only): the biases alone named an intent for it (service_issue, 0.32).
   */
  classify(text: string): IntentPrediction | undefined {
    if (scoreIntents(this.model, text, this.slots, this.probabilities) === 0) return undefined;
    let best = 0;
    for (let c = 1; c < this.probabilities.length; c++) if (this.probabilities[c]! > this.probabilities[best]!) best = c;
    return { intent: this.model.labels[best]!, confidence: this.probabilities[best]! };
  }

  /**
   * Where in `text` its sentence most likely of `intent` starts (0 for a text of one sentence):
   * where a quote of a long text begins, so that the lead shows why. A transcript's first 200
   * characters are mostly greetings; the request to cancel comes at its end. Scored per sentence,
   * so called only for a text that made a lead, not for every contact.
   */
  strongestSentence(text: string, intent: string): number {
    const label = this.model.labels.indexOf(intent);
    if (label < 0) return 0;
    let best = 0;
    let bestProbability = -1;
    for (const sentence of text.matchAll(SENTENCE)) {
      scoreIntents(this.model, sentence[0], this.slots, this.probabilities);
      const probability = this.probabilities[label]!;
      if (probability > bestProbability) {
        bestProbability = probability;
        best = sentence.index + (sentence[0].length - sentence[0].trimStart().length);
      }
    }
    return best;
  }
}

/** A sentence: up to and including its run of end marks (a line break ends one too). */
const SENTENCE = /[^.!?\n]+[.!?\n]*/g;

function toBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string, length: number, where: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length * 4) throw new ModelFileError(`${where}: expected ${length} float32 values, found ${bytes.byteLength / 4}`);
  const out = new Float32Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function serializeModel(model: IntentModel): string {
  return `${JSON.stringify({
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    labels: model.labels,
    buckets: model.buckets,
    training: model.training,
    bias: Array.from(model.bias),
    weights: toBase64(model.weights),
  })}\n`;
}

/** Reads a model file's text; `source` (a path) names the file in errors. */
export function parseModel(text: string, source: string): IntentModel {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ModelFileError(`${source}: not a model file (invalid JSON: ${(err as Error).message})`);
  }
  if (raw['format'] !== MODEL_FORMAT)
    throw new ModelFileError(`${source}: not an intent model (format is ${JSON.stringify(raw['format'])}, expected "${MODEL_FORMAT}")`);
  if (raw['format_version'] !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `${source}: model format version ${String(raw['format_version'])} is not supported (this build reads ${MODEL_FORMAT_VERSION}); retrain with pulse intent train`,
    );
  }
  const labels = raw['labels'];
  const buckets = raw['buckets'];
  const bias = raw['bias'];
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string'))
    throw new ModelFileError(`${source}: labels must be a list of at least two names`);
  if (typeof buckets !== 'number' || !Number.isInteger(Math.log2(buckets))) throw new ModelFileError(`${source}: buckets must be a power of two`);
  if (!Array.isArray(bias) || bias.length !== labels.length || !bias.every((b) => typeof b === 'number'))
    throw new ModelFileError(`${source}: bias must have one number per label`);
  if (typeof raw['weights'] !== 'string') throw new ModelFileError(`${source}: weights missing`);
  return {
    labels: labels as string[],
    buckets,
    bias: Float32Array.from(bias as number[]),
    weights: fromBase64(raw['weights'], buckets * labels.length, `${source}: weights`),
    training: raw['training'] as TrainingInfo,
  };
}
