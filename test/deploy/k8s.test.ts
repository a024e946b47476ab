import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseAlertingConfig } from '../../sinks/alerts/config.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { DEPLOY, ROOT } from './promql-sources.js';

/**
 * Kubernetes manifests checked offline against the OpenAPI-derived validators of kubernetes-models
 * (types, required fields, enums, formats; unknown keys are NOT reported, as with kubeconform
 * without --strict) plus explicit checks of the fields this deployment depends on.
 */
const K8S = join(DEPLOY, 'k8s');
const sync = (await import(join(K8S, 'sync-configmap.mjs'))) as { renderConfigMap(text: string): string };

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function manifests(): Array<{ file: string; doc: Manifest }> {
  const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return kustomization.resources.flatMap((file) => parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Manifest })));
}

function byKind<T>(kind: string): T {
  const found = manifests().find((m) => m.doc.kind === kind);
  if (!found) throw new Error(`no ${kind} in deploy/k8s`);
  return found.doc as unknown as T;
}

interface Container {
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface StatefulSetDoc {
  spec: {
    serviceName: string;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string } }> };
    };
    volumeClaimTemplates: Array<{ metadata: { name: string } }>;
  };
}

describe('deploy/k8s manifests', () => {
  it('every file listed in kustomization.yaml is there, and every manifest there is listed', () => {
    const listed = new Set(manifests().map((m) => m.file));
    const present = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'pulse-job.yaml');
    expect([...listed].sort()).toEqual(present.sort());
  });

  it.each(manifests().map((m) => [`${m.file}: ${m.doc.kind}`, m.doc] as const))('%s validates against the Kubernetes schema', (_name, doc) => {
    const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect(model, `no validator for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
    expect(() => new model!(doc as never).validate()).not.toThrow();
  });

  it('the validator is not vacuous: a string port or a missing container image is refused', () => {
    const sts = structuredClone(byKind<StatefulSetDoc>('StatefulSet')) as unknown as StatefulSetDoc & Manifest;
    (sts.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }).containerPort = 'nine';
    expect(() => new StatefulSet(sts as never).validate()).toThrow(/containerPort/);
    const noSelector = structuredClone(byKind<Manifest>('StatefulSet')) as Manifest & { spec: Record<string, unknown> };
    delete noSelector.spec['selector'];
    expect(() => new StatefulSet(noSelector as never).validate()).toThrow(/selector/);
  });

  it('the StatefulSet has the resources, probes, PVC, job ConfigMap and secret env of the brief', () => {
    const sts = byKind<StatefulSetDoc>('StatefulSet');
    const c = sts.spec.template.spec.containers[0]!;
    expect(c.resources.requests).toEqual({ cpu: '2', memory: '2Gi' });
    expect(c.resources.limits).toEqual({ cpu: '2', memory: '3Gi' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    const metricsPort = c.ports.find((p) => p.name === 'metrics')!.containerPort;
    expect(c.args.join(' ')).toContain(`--metrics-port ${metricsPort}`);
    expect(c.args.join(' ')).toContain('--config /etc/pulse/job.yaml');
    // The DuckDB file is on the PVC.
    const dbPath = c.args[c.args.indexOf('--db') + 1]!;
    const dataMount = c.volumeMounts.find((m) => m.name === sts.spec.volumeClaimTemplates[0]!.metadata.name)!;
    expect(dbPath.startsWith(`${dataMount.mountPath}/`)).toBe(true);
    // The job comes from the ConfigMap.
    const jobVolume = sts.spec.template.spec.volumes.find((v) => v.configMap)!;
    expect(jobVolume.configMap!.name).toBe(byKind<Manifest>('ConfigMap').metadata.name);
    expect(c.volumeMounts.find((m) => m.name === jobVolume.name)?.mountPath).toBe('/etc/pulse');
    // Every secret the job reads by *_env comes from the Secret, and the Secret has the key.
    const secret = byKind<{ metadata: { name: string }; stringData: Record<string, string> }>('Secret');
    const job = readFileSync(join(K8S, 'pulse-job.yaml'), 'utf8');
    const envNames = [...job.matchAll(/_env: (\w+)/g)].map((m) => m[1]!);
    expect(envNames.length).toBeGreaterThan(0);
    for (const name of envNames) {
      const ref = c.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      expect(ref?.name, name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData), name).toContain(ref!.key);
    }
  });

  it('the Service and ServiceMonitor select the pods and the named metrics port; pods carry scrape annotations', () => {
    const sts = byKind<StatefulSetDoc>('StatefulSet');
    const podLabels = sts.spec.template.metadata.labels;
    expect(sts.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(podLabels).filter(([k]) => k in sts.spec.selector.matchLabels)));
    const service = byKind<{
      metadata: { name: string; labels: Record<string, string> };
      spec: { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> };
    }>('Service');
    expect(service.metadata.name).toBe(sts.spec.serviceName);
    for (const [k, v] of Object.entries(service.spec.selector)) expect(podLabels[k]).toBe(v);
    expect(service.spec.ports[0]).toMatchObject({ name: 'metrics', targetPort: 'metrics' });
    const monitor = byKind<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } }>('ServiceMonitor');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    // job label = Service name = what the alert rules select on.
    expect(readFileSync(join(DEPLOY, 'prometheus', 'rules', 'pulse-alerts.yml'), 'utf8')).toContain(`up{job="${service.metadata.name}"}`);
    const annotations = sts.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/port']).toBe(String(sts.spec.template.spec.containers[0]!.ports[0]!.containerPort));
  });

  it('configmap.yaml embeds pulse-job.yaml unchanged (run node deploy/k8s/sync-configmap.mjs)', () => {
    const job = readFileSync(join(K8S, 'pulse-job.yaml'), 'utf8');
    expect(readFileSync(join(K8S, 'configmap.yaml'), 'utf8')).toBe(sync.renderConfigMap(job));
    expect(byKind<{ data: Record<string, string> }>('ConfigMap').data['job.yaml']).toBe(job);
  });

  it('the job in the ConfigMap is a valid job with the default operators (run node deploy/sync-jobs.mjs) and valid alerting', () => {
    const text = byKind<{ data: Record<string, string> }>('ConfigMap').data['job.yaml']!;
    const env = { PULSE_KAFKA_BROKERS: 'kafka:9092', PULSE_SMTP_PASSWORD: 'x', PULSE_WEBHOOK_TOKEN: 'y' };
    const job = parseJobConfig(text, 'configmap job.yaml', env);
    const reference = parseJobConfig(readFileSync(join(ROOT, 'pipelines', 'customer-analytics.yaml'), 'utf8'), 'default', {});
    expect(job.source).toBe('kafka');
    expect(
      job.operators.map((o) => [o.type, o.settings]),
      'operators differ from pipelines/customer-analytics.yaml',
    ).toEqual(reference.operators.map((o) => [o.type, o.settings]));
    expect(job.eventTime).toEqual(reference.eventTime);
    expect(() => parseAlertingConfig(job.alerting)).not.toThrow();
  });
});
