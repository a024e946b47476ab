/**
 * Lead quality of issue 16 against the generator's ground truth:
 *   npx tsc -p tsconfig.json && node dist/bench/lead-quality.js [--customers 3000 --days 14 --seed 5] [--min-confidence 0.7]
 * Generates events with `--intent-texts` (texts from the corpus's held-out wording, their intents
 * in the truth file), runs `pulse run` with two lead rules (sales: new_sale and upsell_cross_sell;
 * retention desk: retention_risk; default cooldown 7d per customer and intent) and scores the
 * `leads` table:
 * - intent figures of the model on every generated text (the classifier alone);
 * - lead precision: leads whose source contact's true intent is the lead's intent;
 * - lead recall: (customer, intent) pairs with a true opportunity contact that got a lead of that
 *   intent (one lead per pair and period is the design, so pairs, not contacts, are counted).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { IntentClassifier, evaluatePredictions, formatEvaluation, loadModelFile } from '../operators/intent/index.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '3000' },
    days: { type: 'string', default: '14' },
    seed: { type: 'string', default: '5' },
    'min-confidence': { type: 'string', default: '0.7' },
  },
});
const root = new URL('../../', import.meta.url).pathname;
const dir = join(root, 'bench/.data', `leads-${values.customers}-${values.days}-${values.seed}`);
mkdirSync(dir, { recursive: true });
const events = join(dir, 'events.ndjson');
const cli = join(root, 'dist/pipelines/cli.js');
if (!existsSync(events)) {
  execFileSync(
    process.execPath,
    [cli, 'generate', '--out', events, '--customers', values.customers!, '--days', values.days!, '--seed', values.seed!, '--intent-texts'],
    { stdio: 'inherit' },
  );
}
const truth = JSON.parse(readFileSync(join(dir, 'events.truth.json'), 'utf8')) as {
  intent_texts: { contacts: Array<{ contact_id: string; customer_id: string; intent: string }> };
};
const trueIntent = new Map(truth.intent_texts.contacts.map((c) => [c.contact_id, c]));

// The classifier alone on every generated text.
const classifier = new IntentClassifier(loadModelFile());
const texts = new Map<string, string>();
for (const line of readFileSync(events, 'utf8').split('\n')) {
  if (!line.includes('"type":"contact"') || !line.includes('"text"')) continue;
  try {
    const record = JSON.parse(line) as { contact_id?: string; text?: string };
    if (record.contact_id && record.text && trueIntent.has(record.contact_id)) texts.set(record.contact_id, record.text);
  } catch {
    // malformed lines of the generator: not texts
  }
}
const ids = [...texts.keys()];
const evaluation = evaluatePredictions(
  classifier.model.labels,
  ids.map((id) => trueIntent.get(id)!.intent),
  ids.map((id) => classifier.classify(texts.get(id)!)?.intent ?? ''),
);
process.stdout.write(`intent of ${ids.length} generated contact texts (held-out wording):\n${formatEvaluation(evaluation)}\n`);

// The job.
const db = join(dir, 'pulse.duckdb');
rmSync(db, { force: true });
const job = join(dir, 'job.yaml');
writeFileSync(
  job,
  `name: lead-quality
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(events)}] }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 3d }
operators:
  - type: service_triggers
    interaction_rules:
      - { name: sales_lead, trigger: intent, intents: [new_sale, upsell_cross_sell], min_confidence: ${values['min-confidence']}, team: sales }
      - { name: retention_lead, trigger: intent, intents: [retention_risk], min_confidence: ${values['min-confidence']}, team: retention-desk }
store: { path: ${JSON.stringify(db)} }
`,
);
const started = Date.now();
execFileSync(process.execPath, [cli, 'run', '--config', job, '--workers', '0'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
});
const seconds = (Date.now() - started) / 1000;

const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
const leads = (await conn.runAndReadAll('SELECT customer_id, intent, source_contact, team FROM leads')).getRowObjectsJS() as Array<Record<string, string>>;
conn.closeSync();
instance.closeSync();

const OPPORTUNITIES = new Set(['new_sale', 'upsell_cross_sell', 'retention_risk']);
const correct = leads.filter((l) => trueIntent.get(l.source_contact!)?.intent === l.intent).length;
const pairs = new Set(truth.intent_texts.contacts.filter((c) => OPPORTUNITIES.has(c.intent)).map((c) => `${c.customer_id}/${c.intent}`));
const leadPairs = new Set(leads.map((l) => `${l.customer_id}/${l.intent}`));
const found = [...pairs].filter((p) => leadPairs.has(p)).length;
const byIntent = (intent: string) => {
  const of = leads.filter((l) => l.intent === intent);
  const ok = of.filter((l) => trueIntent.get(l.source_contact!)?.intent === intent).length;
  const want = [...pairs].filter((p) => p.endsWith(`/${intent}`));
  return `${intent}: ${of.length} leads, precision ${(ok / Math.max(1, of.length)).toFixed(3)}, recall ${(want.filter((p) => leadPairs.has(p)).length / Math.max(1, want.length)).toFixed(3)} of ${want.length} pairs`;
};
process.stdout.write(
  `pulse run: ${seconds.toFixed(1)} s; ${leads.length} leads at min_confidence ${values['min-confidence']}\n` +
    `lead precision ${(correct / Math.max(1, leads.length)).toFixed(3)} (${correct}/${leads.length}), ` +
    `recall ${(found / Math.max(1, pairs.size)).toFixed(3)} (${found}/${pairs.size} customer-intent pairs)\n` +
    ['new_sale', 'upsell_cross_sell', 'retention_risk'].map((i) => `  ${byIntent(i)}`).join('\n') +
    '\n',
);
