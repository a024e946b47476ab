#!/usr/bin/env node
// Writes configmap.yaml (ConfigMap pulse-job) from pulse-job.yaml, so the job YAML is edited in
// one place and stays readable. test/deploy/k8s.test.ts fails when configmap.yaml is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function renderConfigMap(jobText) {
  const body = jobText
    .split('\n')
    .map((line) => (line.length > 0 ? `    ${line}` : ''))
    .join('\n')
    .replace(/\n+$/, '');
  return `# GENERATED from pulse-job.yaml by sync-configmap.mjs: edit pulse-job.yaml, then run
#   node deploy/k8s/sync-configmap.mjs
apiVersion: v1
kind: ConfigMap
metadata:
  name: pulse-job
  labels:
    app.kubernetes.io/name: customer-pulse
    app.kubernetes.io/component: pipeline
data:
  job.yaml: |
${body}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(here, 'configmap.yaml'), renderConfigMap(readFileSync(join(here, 'pulse-job.yaml'), 'utf8')));
  process.stdout.write('wrote deploy/k8s/configmap.yaml\n');
}
