#!/usr/bin/env node
// Copies the `event_time:` and `operators:` blocks of pipelines/customer-analytics.yaml into the
// deployment jobs (deploy/jobs/compose-job.yaml, deploy/k8s/pulse-job.yaml) and regenerates
// deploy/k8s/configmap.yaml, so deployments run the same analytics as the default job.
//   node deploy/sync-jobs.mjs
// test/deploy/compose.test.ts and k8s.test.ts fail when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigMap } from './k8s/sync-configmap.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The text from `key:` at the start of a line up to the next top-level key. */
function block(text, key) {
  const start = text.search(new RegExp(`^${key}:`, 'm'));
  if (start < 0) throw new Error(`no top-level '${key}:' block`);
  const rest = text.slice(start + key.length + 1);
  const next = rest.search(/^[A-Za-z_#]/m);
  return text.slice(start, next < 0 ? text.length : start + key.length + 1 + next);
}

const source = readFileSync(join(root, 'pipelines', 'customer-analytics.yaml'), 'utf8');
for (const target of [join(here, 'jobs', 'compose-job.yaml'), join(here, 'k8s', 'pulse-job.yaml')]) {
  let text = readFileSync(target, 'utf8');
  for (const key of ['event_time', 'operators']) text = text.replace(block(text, key), block(source, key));
  writeFileSync(target, text);
}
writeFileSync(join(here, 'k8s', 'configmap.yaml'), renderConfigMap(readFileSync(join(here, 'k8s', 'pulse-job.yaml'), 'utf8')));
process.stdout.write('synced deploy/jobs/compose-job.yaml, deploy/k8s/pulse-job.yaml and deploy/k8s/configmap.yaml\n');
