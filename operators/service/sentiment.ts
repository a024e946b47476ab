/**
 * Sentiment of contact text and survey comments through the `sentiment` package (AFINN-165 word
 * list, 3,382 words weighted -5 to +5, with a negator right before a word flipping its sign).
 * Chosen over vader-sentiment, wink-sentiment and wink-nlp by measured accuracy and speed
 * (bench/sentiment-compare.ts; figures in README.md "Sentiment"). The score is the sum of the
 * counted words' weights; lower is angrier.
 *
 * Job overrides (`lexicon: { word: weight }`, weight 0 removes a word) become a language of their
 * own, registered once at build time: the package's per-call `extras` option merges into its
 * shared English word list and would leak one job's words into every other analysis.
 */
import { createRequire } from 'node:module';
import Sentiment from 'sentiment';

const require = createRequire(import.meta.url);
const AFINN: Readonly<Record<string, number>> = require('sentiment/languages/en/labels.json');
const ENGLISH_STRATEGY: Sentiment.LanguageModule['scoringStrategy'] = require('sentiment/languages/en/scoring-strategy.js');

const analyzer = new Sentiment();

export interface Lexicon {
  /** The language code registered with the analyzer ('en' is the package's own list). */
  language: string;
  /** The job's overrides merged so far (kept for describing the configuration). */
  overrides: Readonly<Record<string, number>>;
}

export const DEFAULT_LEXICON: Lexicon = { language: 'en', overrides: {} };

export interface ScoredWord {
  /** The counted word, prefixed `not ` when a negator flipped it. */
  word: string;
  /** The word's weight after negation ("not happy" counts happy as -3). */
  score: number;
}

export interface SentimentScore {
  score: number;
  /** Every word that counted, in text order (for the alert description). */
  words: ScoredWord[];
}

let registeredLanguages = 0;
/** Each registered language's word list, to tell a negated word ("not happy") in the description. */
const LABELS = new Map<string, Readonly<Record<string, number>>>([['en', AFINN]]);

/** Lexicon with the job's overrides (`lexicon: { word: weight }`; weight 0 removes a word). */
export function extendLexicon(base: Lexicon, overrides: Readonly<Record<string, number>>): Lexicon {
  const merged: Record<string, number> = { ...base.overrides };
  for (const [word, weight] of Object.entries(overrides)) merged[word.toLowerCase()] = weight;
  const labels: Record<string, number> = { ...AFINN };
  for (const [word, weight] of Object.entries(merged)) {
    if (weight === 0) delete labels[word];
    else labels[word] = weight;
  }
  const language = `en-pulse-${++registeredLanguages}`;
  analyzer.registerLanguage(language, { labels, scoringStrategy: ENGLISH_STRATEGY });
  LABELS.set(language, labels);
  return { language, overrides: merged };
}

// The package's tokenizer keeps straight apostrophes ("don't" is a negator) but not typographic ones.
const TYPOGRAPHIC_APOSTROPHES = /[\u2018\u2019]/g;

export function scoreText(text: string, lexicon: Lexicon = DEFAULT_LEXICON): SentimentScore {
  const result = analyzer.analyze(text.replace(TYPOGRAPHIC_APOSTROPHES, "'"), { language: lexicon.language });
  // `calculation` lists the words from the last to the first, one single-key object each.
  const labels = LABELS.get(lexicon.language) ?? AFINN;
  const words: ScoredWord[] = [];
  for (let i = result.calculation.length - 1; i >= 0; i--) {
    const [word, score] = Object.entries(result.calculation[i]!)[0]!;
    words.push({ word: score === labels[word] ? word : `not ${word}`, score });
  }
  return { score: result.score, words };
}
