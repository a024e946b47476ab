/**
 * Lexicon scoring of contact text for the `negative_text` trigger (README.md, "Wording score").
 *
 * Text is lower-cased and split into words (letters, digits, apostrophes); `. , ; : ! ?` and the
 * words of CLAUSE_BREAKS end a clause. Each lexicon word adds its weight; an intensifier directly
 * before it multiplies the weight by 1.5; a negator earlier in the same clause and at most three
 * words before it flips the sign. The score is the sum; lower is angrier.
 */
import { CLAUSE_BREAKS, INTENSIFIER_FACTOR, INTENSIFIERS, NEGATION_SCOPE, NEGATORS, WORD_WEIGHTS } from './lexicon.js';

export interface Lexicon {
  weights: Readonly<Record<string, number>>;
  negators: ReadonlySet<string>;
  intensifiers: ReadonlySet<string>;
}

export const DEFAULT_LEXICON: Lexicon = { weights: WORD_WEIGHTS, negators: NEGATORS, intensifiers: INTENSIFIERS };

export interface ScoredWord {
  /** The lexicon word, prefixed `not ` when negated and `very ` when intensified. */
  word: string;
  score: number;
}

export interface SentimentScore {
  score: number;
  /** Every word that counted, in text order (for the alert description). */
  words: ScoredWord[];
}

const TOKEN_RE = /[a-z0-9']+|[.,;:!?]/g;
const PUNCTUATION = /^[.,;:!?]$/;

/** Lexicon with the job's overrides (`lexicon: { word: weight }`; weight 0 removes a word). */
export function extendLexicon(base: Lexicon, overrides: Readonly<Record<string, number>>): Lexicon {
  const weights: Record<string, number> = { ...base.weights };
  for (const [word, weight] of Object.entries(overrides)) {
    if (weight === 0) delete weights[word.toLowerCase()];
    else weights[word.toLowerCase()] = weight;
  }
  return { ...base, weights };
}

export function scoreText(text: string, lexicon: Lexicon = DEFAULT_LEXICON): SentimentScore {
  const tokens = text.toLowerCase().replace(/[\u2018\u2019`]/g, "'").match(TOKEN_RE) ?? [];
  let score = 0;
  const words: ScoredWord[] = [];
  // Index of the last negator in the current clause, or -Infinity.
  let negatorAt = Number.NEGATIVE_INFINITY;
  let intensified = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (PUNCTUATION.test(token) || CLAUSE_BREAKS.has(token)) {
      negatorAt = Number.NEGATIVE_INFINITY;
      intensified = false;
      continue;
    }
    const word = token.replace(/^'+|'+$/g, '');
    if (lexicon.negators.has(word)) {
      negatorAt = i;
      intensified = false;
      continue;
    }
    if (lexicon.intensifiers.has(word)) {
      intensified = true;
      continue;
    }
    const weight = lexicon.weights[word];
    if (weight !== undefined) {
      const negated = i - negatorAt <= NEGATION_SCOPE;
      let value = intensified ? weight * INTENSIFIER_FACTOR : weight;
      if (negated) value = -value;
      score += value;
      words.push({ word: `${negated ? 'not ' : ''}${intensified ? 'very ' : ''}${word}`, score: value });
    }
    intensified = false;
  }
  return { score, words };
}
