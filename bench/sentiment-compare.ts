/**
 * Compares sentiment libraries by accuracy and speed (README.md, "Sentiment"):
 *   npx tsc -p tsconfig.json && node dist/bench/sentiment-compare.js
 * Accuracy 1: the UCI "sentiment labelled sentences" (Amazon, IMDb, Yelp; 1,000 each, human
 * labels positive/negative) that the `sentiment` package ships as test fixtures; a score of 0 counts
 * as wrong. Accuracy 2: negative-wording F1 on the customer's lines of the intent corpus.
 * Speed: texts per second on one thread over the UCI sentences joined three at a time (~200 chars).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import Sentiment from 'sentiment';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { scoreText } from '../operators/service/sentiment.js';

const require = createRequire(import.meta.url);
// Neither ships type declarations; only the one function each is used.
const vader: { SentimentIntensityAnalyzer: { polarity_scores(t: string): { compound: number } } } = require('vader-sentiment');
const winkSentiment: (t: string) => { score: number } = require('wink-sentiment');

interface Labelled {
  text: string;
  class: 0 | 1;
}
const UCI = ['amazon', 'imdb', 'yelp'].flatMap(
  (name) => JSON.parse(readFileSync(require.resolve(`sentiment/test/fixtures/${name}.json`), 'utf8')) as Labelled[],
);
const corpusDir = new URL('../../operators/intent/corpus/', import.meta.url);
const CORPUS = ['train.jsonl', 'holdout.jsonl'].flatMap((f) =>
  readFileSync(new URL(f, corpusDir), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { text: string; sentiment: string }),
);
/** The customer's words only: agent lines carry no customer sentiment. */
const customerLines = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/^agent:/i.test(l))
    .join('\n');

const plain = new Sentiment();
const nlp = winkNLP(model);
const CANDIDATES: Record<string, (text: string) => number> = {
  'sentiment (AFINN-165)': (t) => plain.analyze(t).score,
  'wink-sentiment': (t) => winkSentiment(t).score,
  'wink-nlp': (t) => nlp.readDoc(t).out(nlp.its.sentiment) as number,
  'vader-sentiment': (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
  'project wrapper (operators/service/sentiment.ts)': (t) => scoreText(t).score,
};

const speedTexts: string[] = [];
for (let i = 0; i + 3 <= UCI.length; i += 3)
  speedTexts.push(
    UCI.slice(i, i + 3)
      .map((r) => r.text)
      .join(' '),
  );

process.stdout.write('| library | UCI accuracy | corpus negative P / R / F1 | texts/s (one thread) |\n|---|---|---|---|\n');
for (const [name, score] of Object.entries(CANDIDATES)) {
  const correct = UCI.filter((r) => {
    const s = score(r.text);
    return s !== 0 && (s > 0 ? 1 : 0) === r.class;
  }).length;
  let tp = 0,
    fp = 0,
    fn = 0;
  for (const r of CORPUS) {
    const negative = score(customerLines(r.text)) < 0;
    if (negative && r.sentiment === 'negative') tp++;
    else if (negative) fp++;
    else if (r.sentiment === 'negative') fn++;
  }
  const p = tp / (tp + fp),
    rec = tp / (tp + fn);
  for (const t of speedTexts) score(t); // warm-up
  const start = performance.now();
  for (let round = 0; round < 3; round++) for (const t of speedTexts) score(t);
  const perSecond = (3 * speedTexts.length) / ((performance.now() - start) / 1000);
  process.stdout.write(
    `| ${name} | ${(correct / UCI.length).toFixed(3)} | ${p.toFixed(2)} / ${rec.toFixed(2)} / ${((2 * p * rec) / (p + rec)).toFixed(2)} | ${Math.round(perSecond)} |\n`,
  );
}
