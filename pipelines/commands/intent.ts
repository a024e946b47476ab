/**
 * `pulse intent train | eval | classify` (README.md, "Intent and sentiment of texts").
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../../operators/errors.js';
import {
  DEFAULT_MODEL_PATH,
  DEFAULT_TRAIN_OPTIONS,
  IntentClassifier,
  evaluatePredictions,
  formatEvaluation,
  loadModelFile,
  parseLabels,
  serializeModel,
  trainIntentModel,
} from '../../operators/intent/index.js';
import { scoreText } from '../../operators/service/sentiment.js';

export interface IntentIo {
  write(text: string): void;
  writeErr(text: string): void;
  stdin: NodeJS.ReadableStream;
}

function readLabelsFile(path: string): { bytes: Buffer; examples: ReturnType<typeof parseLabels> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`--labels ${path}: cannot read (${(err as Error).message})`);
  }
  return { bytes, examples: parseLabels(bytes.toString('utf8'), path) };
}

const modelAt = (path: string | undefined) => loadModelFile(path ?? DEFAULT_MODEL_PATH);

function wholeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number >= 0`);
    return n;
  };
}

/** Sentiment as a label (from the sign of the score) and the score itself. */
/** What `intent eval` predicts for a text without a word to go by (empty, emoji only). */
const NO_WORDS = '(no words)';

export function sentimentOf(text: string): { sentiment: 'negative' | 'neutral' | 'positive'; sentiment_score: number } {
  const { score } = scoreText(text);
  return { sentiment: score < 0 ? 'negative' : score > 0 ? 'positive' : 'neutral', sentiment_score: score };
}

/**
 * Classifies JSON lines from `input`, writing each object back with `intent`, `intent_confidence`,
 * `sentiment` and `sentiment_score` added. A line without a string `text` is written back with
 * `intent: null` and `intent_error`; a line that is not a JSON object is reported on stderr with its
 * number. Returns the number of lines reported.
 */
export async function classifyLines(classifier: IntentClassifier, io: IntentIo): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let bad = 0;
  let out = '';
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      row = undefined;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      bad++;
      io.writeErr(`pulse intent classify: stdin line ${lineNo}: not a JSON object, skipped\n`);
      continue;
    }
    const record = row as Record<string, unknown>;
    const text = record['text'];
    if (typeof text !== 'string') {
      out += `${JSON.stringify({ ...record, intent: null, intent_confidence: null, intent_error: "no string field 'text'" })}\n`;
    } else {
      const prediction = classifier.classify(text);
      out += prediction
        ? `${JSON.stringify({ ...record, intent: prediction.intent, intent_confidence: Math.round(prediction.confidence * 1e4) / 1e4, ...sentimentOf(text) })}\n`
        : `${JSON.stringify({ ...record, intent: null, intent_confidence: null, intent_error: 'no words to classify (empty, spaces or symbols only)', ...sentimentOf(text) })}\n`;
    }
    if (out.length > 1 << 16) {
      io.write(out);
      out = '';
    }
  }
  io.write(out);
  return bad;
}

export function intentCommand(io: IntentIo): Command {
  const intent = new Command('intent').description('intent classifier of contact texts and survey comments: train, evaluate, classify');

  intent
    .command('train')
    .description('train an intent model from labelled JSON lines ({"text", "intent"}) and write a versioned model file')
    .requiredOption('--labels <file>', 'labelled texts, JSON lines with text and intent')
    .option('--out <file>', 'model file to write', 'intent-model.json')
    .option('--seed <n>', 'random seed of the training order', wholeNumber('--seed'), DEFAULT_TRAIN_OPTIONS.seed)
    .option('--epochs <n>', 'passes over the texts', wholeNumber('--epochs'), DEFAULT_TRAIN_OPTIONS.epochs)
    .action((options: { labels: string; out: string; seed: number; epochs: number }) => {
      const { bytes, examples } = readLabelsFile(options.labels);
      const model = trainIntentModel(
        examples,
        { ...DEFAULT_TRAIN_OPTIONS, seed: options.seed, epochs: options.epochs },
        {
          labelsSha256: createHash('sha256').update(bytes).digest('hex'),
        },
      );
      writeFileSync(options.out, serializeModel(model));
      io.writeErr(`trained on ${examples.length} texts (${model.labels.join(', ')}); model written to ${options.out}\n`);
    });

  intent
    .command('eval')
    .description('per-intent precision, recall, F1 and the confusion matrix of a model on labelled JSON lines')
    .requiredOption('--labels <file>', 'labelled texts, JSON lines with text and intent')
    .option('--model <file>', 'model file (default: the bundled model)')
    .option('--json', 'print the figures as JSON')
    .action((options: { labels: string; model?: string; json?: boolean }) => {
      const { examples } = readLabelsFile(options.labels);
      const classifier = new IntentClassifier(modelAt(options.model));
      // A labelled text without words counts as a miss, named as such in the matrix.
      const predicted = examples.map((e) => classifier.classify(e.text)?.intent ?? NO_WORDS);
      const evaluation = evaluatePredictions(
        classifier.model.labels,
        examples.map((e) => e.intent),
        predicted,
      );
      io.write(options.json ? `${JSON.stringify(evaluation)}\n` : formatEvaluation(evaluation));
    });

  intent
    .command('classify')
    .description('read JSON lines with a text field on stdin; write each back with intent, intent_confidence and sentiment')
    .option('--model <file>', 'model file (default: the bundled model)')
    .action(async (options: { model?: string }) => {
      const bad = await classifyLines(new IntentClassifier(modelAt(options.model)), io);
      if (bad > 0) throw new UsageError(`${bad} stdin line(s) were not JSON objects (listed above)`);
    });

  return intent;
}
