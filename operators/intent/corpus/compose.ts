/**
 * Composes the labelled intent corpus from the hand-written fragments (fragments.ts): a seeded,
 * reproducible mix of e-mails, chats, voice transcripts, agent notes and survey comments, with
 * mixed signals, typos and transcript noise. README.md ("Intent corpus") gives the labelling rules.
 *
 * Every fifth core of each intent (positions 4, 9, 14, ...) is reserved for the held-out part, so
 * held-out texts use wording the training part never contains.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import {
  AGENT_GREETINGS,
  AGENT_REPLIES,
  CLOSERS,
  CORES,
  DISTRACTORS,
  EMAIL_SUBJECTS,
  FILLERS,
  INTENTS,
  NAMES,
  NOTE_PREFIXES,
  OPENERS,
  POOLS,
  SLOTS,
  SURVEY_PREFIXES,
  type Core,
  type Intent,
  type Sentiment,
} from './fragments.js';

export const CHANNELS = ['email', 'chat', 'voice', 'note', 'survey'] as const;
export type CorpusChannel = (typeof CHANNELS)[number];
export type CorpusPart = 'train' | 'holdout';

export interface LabelledText {
  id: string;
  channel: CorpusChannel;
  text: string;
  intent: Intent;
  sentiment: Sentiment;
}

/** Share of each intent in the corpus (service issues are the most common contact). */
const INTENT_SHARE: Readonly<Record<Intent, number>> = {
  new_sale: 0.18,
  upsell_cross_sell: 0.2,
  retention_risk: 0.2,
  service_issue: 0.24,
  other: 0.18,
};
const HOLDOUT_EVERY = 5;
/** Share of texts whose main core is composed from phrase pools rather than written whole. */
const COMPOSED_SHARE = 0.4;

/** What composing needs from a random source (the generator's Rng fits too). */
export interface RandomSource {
  float(): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

class Draw implements RandomSource {
  private readonly gen: RandomGenerator;
  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
    for (let i = 0; i < 16; i++) this.gen.next();
  }
  float(): number {
    return ((this.gen.next() >>> 0) + 0.5) / 4_294_967_296;
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
}

function partOf<T>(items: readonly T[], part: CorpusPart): T[] {
  return items.filter((_, i) => (i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1) === (part === 'holdout'));
}

export function coresOf(intent: Intent, part: CorpusPart): Core[] {
  return partOf(CORES[intent], part);
}

/** A core composed from the intent's phrase pools: a context then an ask, or the ask alone. */
function composedCore(intent: Intent, part: CorpusPart, draw: RandomSource): Core {
  const pools = POOLS[intent];
  const ask = draw.pick(partOf(pools.ask, part));
  const text = draw.chance(0.8) ? `${draw.pick(partOf(pools.context, part))} ${ask}` : ask;
  return { text, sentiment: pools.sentiment };
}

function fillSlots(text: string, draw: RandomSource): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (SLOTS[name] ? draw.pick(SLOTS[name]) : whole));
}

/** One typing slip in a word of four or more letters: a swap, a dropped or a doubled letter. */
function typo(word: string, draw: RandomSource): string {
  if (!/^[a-z]{4,}$/i.test(word)) return word;
  const at = 1 + Math.floor(draw.float() * (word.length - 2));
  const kind = draw.float();
  if (kind < 0.4) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  if (kind < 0.7) return word.slice(0, at) + word.slice(at + 1);
  return word.slice(0, at) + word[at] + word.slice(at);
}

function roughen(text: string, draw: RandomSource, typoRate: number): string {
  return text
    .split(' ')
    .map((w) => (draw.chance(typoRate) ? typo(w, draw) : w))
    .join(' ');
}

/** Spoken style: lower case, no punctuation besides commas, fillers between clauses. */
function spoken(text: string, draw: RandomSource): string {
  const words = text
    .toLowerCase()
    .replace(/[.!?;:]/g, ',')
    .replace(/,+/g, ',')
    .split(' ');
  const out: string[] = [];
  for (const w of words) {
    if (draw.chance(0.08)) out.push(draw.pick(FILLERS));
    out.push(w);
  }
  return out.join(' ').replace(/,\s*$/, '');
}

function body(intent: Intent, part: CorpusPart, draw: RandomSource): { text: string; sentiment: Sentiment } {
  const cores = coresOf(intent, part);
  const first = draw.chance(COMPOSED_SHARE) ? composedCore(intent, part, draw) : draw.pick(cores);
  const parts = [fillSlots(first.text, draw)];
  if (draw.chance(0.25)) {
    const second = draw.pick(cores);
    if (second !== first) parts.push(fillSlots(second.text, draw));
  }
  if (draw.chance(0.3)) {
    const distractor = fillSlots(draw.pick(DISTRACTORS[intent]).text, draw);
    if (draw.chance(0.5)) parts.unshift(distractor);
    else parts.push(distractor);
  }
  return { text: parts.join(' '), sentiment: first.sentiment };
}

function wrap(channel: CorpusChannel, intent: Intent, text: string, draw: RandomSource): string {
  switch (channel) {
    case 'email': {
      const opener = draw.pick(OPENERS);
      const closer = draw.pick(CLOSERS);
      const subject = draw.chance(0.6) ? `Subject: ${draw.pick(EMAIL_SUBJECTS[intent])}\n\n` : '';
      return `${subject}${opener ? `${opener}\n\n` : ''}${text}${closer ? `\n\n${closer}\n${draw.pick(NAMES)}` : ''}`;
    }
    case 'chat': {
      const casual = draw.chance(0.5) ? text.toLowerCase().replace(/[.]/g, '') : text;
      return `${draw.pick(AGENT_GREETINGS)}\nCustomer: ${casual}\n${draw.pick(AGENT_REPLIES)}`;
    }
    case 'voice':
      return `${draw.pick(AGENT_GREETINGS).toLowerCase()}\ncaller: ${spoken(text, draw)}\n${draw.pick(AGENT_REPLIES).toLowerCase()}`;
    case 'note':
      return `${draw.pick(NOTE_PREFIXES)} ${text.replace(/\bI\b(?!')/g, 'cust').replace(/\bmy\b/gi, 'their')}`;
    case 'survey':
      return `${draw.pick(SURVEY_PREFIXES)}${text}`;
  }
}

function pickIntent(draw: RandomSource): Intent {
  let u = draw.float();
  for (const intent of INTENTS) {
    u -= INTENT_SHARE[intent];
    if (u < 0) return intent;
  }
  return 'other';
}

/** One text of `intent` on `channel`, from the wording of `part`, with the sentiment of its main statement. */
export function composeText(draw: RandomSource, intent: Intent, channel: CorpusChannel, part: CorpusPart): { text: string; sentiment: Sentiment } {
  const { text, sentiment } = body(intent, part, draw);
  const typoRate = draw.chance(0.35) ? 0.06 : 0;
  return { text: wrap(channel, intent, roughen(text, draw, typoRate), draw), sentiment };
}

/** `count` labelled texts of one part; the same seed, count and part give the same texts. */
export function composeCorpus(seed: number, count: number, part: CorpusPart): LabelledText[] {
  const draw = new Draw(seed * 2 + (part === 'holdout' ? 1 : 0));
  const out: LabelledText[] = [];
  for (let i = 0; i < count; i++) {
    const intent = pickIntent(draw);
    const channel = draw.pick(CHANNELS);
    const { text, sentiment } = composeText(draw, intent, channel, part);
    out.push({ id: `${part}-${i}`, channel, text, intent, sentiment });
  }
  return out;
}
