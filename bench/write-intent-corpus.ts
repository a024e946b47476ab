/**
 * Writes the labelled intent corpus (operators/intent/corpus/train.jsonl and holdout.jsonl) from the
 * seeded composer. Run after changing fragments.ts, then retrain the bundled model:
 *   npx tsc -p tsconfig.json && node dist/bench/write-intent-corpus.js && \
 *   node dist/pipelines/cli.js intent train --labels operators/intent/corpus/train.jsonl --out operators/intent/default-model.json
 */
import { writeFileSync } from 'node:fs';
import { composeCorpus } from '../operators/intent/corpus/compose.js';

const SEED = 16;
const dir = new URL('../../operators/intent/corpus/', import.meta.url);
for (const [part, count] of [
  ['train', 4000],
  ['holdout', 1000],
] as const) {
  const rows = composeCorpus(SEED, count, part);
  writeFileSync(new URL(`${part}.jsonl`, dir), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  process.stdout.write(`${part}: ${rows.length} texts\n`);
}
