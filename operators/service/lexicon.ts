/**
 * The wording lexicon of the `negative_text` trigger: a small, hand-written list of English words
 * that customers use in contact transcripts and messages, with an integer weight from -3 (angry,
 * churn-threatening) to +3 (very pleased). Written for this project (not copied from AFINN or
 * VADER, whose weighting idea it follows); extend it in the job YAML with `lexicon:` overrides.
 * Scoring rules live in sentiment.ts and are documented in README.md.
 */
export const WORD_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  // -3: anger, contempt, threats to leave or to complain elsewhere
  terrible: -3, awful: -3, horrible: -3, unacceptable: -3, ridiculous: -3, outrageous: -3,
  furious: -3, disgusting: -3, worst: -3, useless: -3, pathetic: -3, appalling: -3,
  incompetent: -3, scam: -3, fraud: -3, hate: -3, lawyer: -3, ombudsman: -3, sue: -3,
  // -2: frustration, failure, intent to cancel
  frustrated: -2, frustrating: -2, angry: -2, annoyed: -2, disappointed: -2, disappointing: -2,
  unhappy: -2, upset: -2, broken: -2, rude: -2, bad: -2, poor: -2, wrong: -2, fail: -2,
  failed: -2, failure: -2, fails: -2, waste: -2, wasted: -2, overcharged: -2, complaint: -2,
  complain: -2, cancel: -2, cancelling: -2, canceling: -2, cancellation: -2, lied: -2,
  misleading: -2, sick: -2, fed: -1,
  // -1: friction
  slow: -1, delay: -1, delayed: -1, late: -1, problem: -1, problems: -1, issue: -1, issues: -1,
  confusing: -1, difficult: -1, expensive: -1, waited: -1, waiting: -1, forever: -1,
  dropping: -1, drops: -1, again: -1, tired: -1, worse: -2, nobody: -1,
  // positive words, so praise offsets (and negated praise counts against)
  good: 2, great: 3, excellent: 3, perfect: 3, wonderful: 3, love: 3, amazing: 3,
  happy: 2, pleased: 2, satisfied: 2, helpful: 2, friendly: 2, thanks: 2, thank: 2,
  quick: 1, fast: 1, easy: 1, fixed: 1, solved: 1, resolved: 1, fine: 1, ok: 1, okay: 1,
});

/**
 * Words that flip the sign of the next sentiment words in the same clause ("not happy" counts as
 * -2, "not bad" as +2). Apostrophes are kept, and the common spellings without them are listed.
 */
export const NEGATORS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'neither', 'nor', 'cannot', 'without', 'hardly', 'barely',
  "can't", 'cant', "don't", 'dont', "doesn't", 'doesnt', "didn't", 'didnt', "isn't", 'isnt',
  "wasn't", 'wasnt', "aren't", 'arent', "weren't", 'werent', "won't", 'wont', "wouldn't",
  'wouldnt', "shouldn't", 'shouldnt', "couldn't", 'couldnt', "haven't", 'havent', "hasn't", 'hasnt',
  "ain't", 'aint',
]);

/** Words that make the next sentiment word count one and a half times ("very frustrated"). */
export const INTENSIFIERS: ReadonlySet<string> = new Set([
  'very', 'really', 'so', 'extremely', 'totally', 'absolutely', 'completely', 'incredibly', 'utterly', 'too',
]);

/** A negator reaches this many following words (VADER looks three words back, too). */
export const NEGATION_SCOPE = 3;
/** The multiplier an intensifier gives the next sentiment word. */
export const INTENSIFIER_FACTOR = 1.5;
/** Words that end a negation's reach besides punctuation ("not cheap but good"). */
export const CLAUSE_BREAKS: ReadonlySet<string> = new Set(['but', 'however', 'although', 'though']);
