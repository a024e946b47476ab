/**
 * Text to hashed features for the intent classifier: word unigrams, word bigrams, words in the reach
 * of a negator ("not ... cancel" differs from "cancel") and character 3- to 5-grams of each word
 * (so "cancell", "cancle" and "cancelling" share most features with "cancel"), each counted once per
 * text. Features are hashed (FNV-1a, 32 bit) into `buckets` slots, a power of two; no vocabulary is
 * stored.
 *
 * A negator's reach ends at punctuation, and a word in it counts only as negated.
 *
 * Lines that start with `agent:` (after a time stamp, or with the agent's name) are left out: in
 * chats and transcripts they are the agent's words ("would you like to upgrade?"), not the
 * customer's intent.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x9e3779b1;
const SEED_BIGRAM = 0x85ebca77;
const SEED_NEGATED = 0xc2b2ae3d;
const SEED_CHARS = 0x27d4eb2f;
const CHAR_MIN = 3;
const CHAR_MAX = 5;
/** A negator reaches this many following words. */
const NEGATION_REACH = 3;

const NEGATORS: ReadonlySet<string> = new Set([
  'not',
  'no',
  'never',
  "don't",
  'dont',
  "didn't",
  'didnt',
  "isn't",
  'isnt',
  "won't",
  'wont',
  "can't",
  'cant',
  "doesn't",
  'doesnt',
  "wasn't",
  "aren't",
  "haven't",
  'without',
  'nothing',
  "wouldn't",
  "shouldn't",
]);
const WORD = /[a-z0-9]+(?:'[a-z]+)?/g;
/** Punctuation between two words ends a negator's reach ("not bad, cancel it" cancels). */
const CLAUSE_END = /[.,;:!?()]/;
/**
 * An agent's line: `Agent:`, `Agent (Ana):` or `Agent Ana:`, after a chat export's time stamp
 * (`[10:02]`, `10:02:15 -`) if it has one.
 */
const AGENT_LINE = /^\s*(?:\[[^\]\n]*\]\s*|\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]m)?\s*[-\u2013|]?\s*)?agent(?:\s*\([^)\n]*\)|\s+[a-z]+)?\s*:.*$/gm;

function hashString(seed: number, s: string): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

function combine(a: number, b: number, seed: number): number {
  return Math.imul(Math.imul(a ^ seed, FNV_PRIME) ^ b, FNV_PRIME) >>> 0;
}

/** The customer's part of a text, lower-cased, typographic apostrophes made straight. */
export function customerText(text: string): string {
  const lower = text.toLowerCase().replace(/[\u2018\u2019`]/g, "'");
  return lower.includes('agent') ? lower.replace(AGENT_LINE, ' ') : lower;
}

/**
 * Writes the feature slots of `text` into `out` (cleared first), each slot once, and returns their
 * count; the model scales every feature by 1/sqrt(count), so every text's vector has unit length.
 */
export function featureSlots(text: string, buckets: number, out: number[]): number {
  out.length = 0;
  const mask = buckets - 1;
  const customer = customerText(text);
  let previous = 0;
  let negatedFor = 0;
  let end = 0;
  for (const match of customer.matchAll(WORD)) {
    const word = match[0];
    if (negatedFor > 0 && CLAUSE_END.test(customer.slice(end, match.index))) negatedFor = 0;
    end = match.index + word.length;
    const h = hashString(SEED_WORD, word);
    out.push(h & mask);
    if (previous !== 0) out.push(combine(previous, h, SEED_BIGRAM) & mask);
    previous = h;
    if (negatedFor > 0) {
      out.push(combine(h, 0, SEED_NEGATED) & mask);
      negatedFor--;
    }
    if (NEGATORS.has(word)) negatedFor = NEGATION_REACH;
    // Character n-grams of " word ", the spaces marking its start and end.
    const padded = ` ${word} `;
    for (let i = 0; i + CHAR_MIN <= padded.length; i++) {
      let c = SEED_CHARS;
      for (let j = i; j < i + CHAR_MAX && j < padded.length; j++) {
        c = Math.imul(c ^ padded.charCodeAt(j), FNV_PRIME);
        if (j - i + 1 >= CHAR_MIN) out.push((c >>> 0) & mask);
      }
    }
  }
  return keepDistinct(out);
}

/**
 * Keeps each slot once: a feature counts for being in the text, not for how often. Counted per
 * occurrence, a word said r times weighed r times, so filler repeated through a long transcript
 * ("yeah okay yeah" thirty times) outweighed the one sentence asking to cancel, and the filler's
 * class grew more confident with every repeat (a tester's transcript became a new-sale lead at 0.70,
 * 1,000 x "blah" and a cancel request an up-sell at 0.82). Sorted and compacted in place: no set
 * is allocated per text.
 */
function keepDistinct(out: number[]): number {
  out.sort((a, b) => a - b);
  let kept = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[kept++] = out[i]!;
  out.length = kept;
  return kept;
}
