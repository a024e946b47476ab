import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { composeCorpus, coresOf } from '../../../operators/intent/corpus/compose.js';
import { INTENTS } from '../../../operators/intent/corpus/fragments.js';

describe('intent corpus', () => {
  test('the committed files are what the seeded script writes (seed 16, 4,000 + 1,000)', () => {
    for (const [part, count] of [
      ['train', 4000],
      ['holdout', 1000],
    ] as const) {
      const committed = readFileSync(`operators/intent/corpus/${part}.jsonl`, 'utf8');
      const composed =
        composeCorpus(16, count, part)
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n';
      expect(committed === composed, `${part}.jsonl is stale: run node dist/bench/write-intent-corpus.js`).toBe(true);
    }
  });

  test('held-out wording never appears in the training part', () => {
    for (const intent of INTENTS) {
      const train = new Set(coresOf(intent, 'train').map((c) => c.text));
      for (const core of coresOf(intent, 'holdout')) expect(train.has(core.text)).toBe(false);
      expect(coresOf(intent, 'holdout').length).toBeGreaterThanOrEqual(10);
    }
  });

  test('every intent and channel is present, with typos and competitor mentions', () => {
    const rows = composeCorpus(16, 4000, 'train');
    for (const intent of INTENTS) expect(rows.filter((r) => r.intent === intent).length).toBeGreaterThan(400);
    for (const channel of ['email', 'chat', 'voice', 'note', 'survey']) expect(rows.some((r) => r.channel === channel)).toBe(true);
    expect(rows.some((r) => /Verizon|Vodafone|Comcast/.test(r.text))).toBe(true);
  });
});
