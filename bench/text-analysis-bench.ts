/**
 * Text analysis figures of issue 16: intent macro-F1 (and per class) of a model on labelled texts,
 * and texts per second of the whole analysis (intent + sentiment) on one thread.
 *   npx tsc -p tsconfig.json && node dist/bench/text-analysis-bench.js [--labels FILE] [--model FILE] [--rounds N]
 * Defaults: the held-out part of the project's corpus and the bundled model. Targets: macro-F1 >= 0.85,
 * >= 20,000 texts/s.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_PATH, IntentClassifier, evaluatePredictions, formatEvaluation, loadModelFile, parseLabels } from '../operators/intent/index.js';
import { scoreText } from '../operators/service/sentiment.js';

const { values } = parseArgs({
  options: {
    labels: { type: 'string', default: new URL('../../operators/intent/corpus/holdout.jsonl', import.meta.url).pathname },
    model: { type: 'string' },
    rounds: { type: 'string', default: '10' },
  },
});
const examples = parseLabels(readFileSync(values.labels!, 'utf8'), values.labels!);
const classifier = new IntentClassifier(loadModelFile(values.model ?? DEFAULT_MODEL_PATH));
const evaluation = evaluatePredictions(
  classifier.model.labels,
  examples.map((e) => e.intent),
  examples.map((e) => classifier.classify(e.text)?.intent ?? ''),
);
process.stdout.write(`intent on ${values.labels} (${examples.length} texts):\n${formatEvaluation(evaluation)}\n`);

const texts = examples.map((e) => e.text);
const analyse = (text: string): number => (classifier.classify(text)?.confidence ?? 0) + scoreText(text).score;
let sink = 0;
for (const t of texts) sink += analyse(t); // warm-up
const rounds = Number(values.rounds);
const cpuStart = process.cpuUsage();
const start = performance.now();
for (let r = 0; r < rounds; r++) for (const t of texts) sink += analyse(t);
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const n = rounds * texts.length;
const chars = texts.reduce((s, t) => s + t.length, 0) / texts.length;
process.stdout.write(
  `text analysis (intent + sentiment), one thread, ${n} texts of ${chars.toFixed(0)} characters on average:\n` +
    `  ${Math.round(n / cpuSeconds)} texts per CPU second, ${Math.round(n / seconds)} texts/s wall clock` +
    ` (per CPU second: intent only ${Math.round(
      n /
        cpuTimed(() => {
          for (let r = 0; r < rounds; r++) for (const t of texts) sink += classifier.classify(t)?.confidence ?? 0;
        }),
    )},` +
    ` sentiment only ${Math.round(
      n /
        cpuTimed(() => {
          for (let r = 0; r < rounds; r++) for (const t of texts) sink += scoreText(t).score;
        }),
    )})\n` +
    `  macro-F1 ${evaluation.macroF1.toFixed(3)} (target 0.85) ${Number.isFinite(sink) ? '' : '?'}\n`,
);

/** CPU seconds of this thread's process spent in `work` (wall time lies on a busy machine). */
function cpuTimed(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
