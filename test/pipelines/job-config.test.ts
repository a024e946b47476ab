import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../operators/errors.js';
import { loadJobConfig, parseJobConfig } from '../../pipelines/job-config.js';
import { buildReceivers, deliverySettings, parseAlertingConfig } from '../../sinks/alerts/index.js';
import { captureServer } from '../sinks/alerts/helpers.js';

const VALID = `
name: t
source: files
sources:
  files: { type: files, paths: [a.ndjson] }
operators:
  - type: customer_windows
`;

/** A billion-laughs style document: each level repeats the one before nine times. */
function aliasBomb(): string {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  return `x_bomb: ${levels
    .map(
      (name, i) =>
        `\n  ${name}: &${name} [${
          i === 0
            ? Array(9).fill('lol').join(', ')
            : Array(9)
                .fill(`*${levels[i - 1]}`)
                .join(', ')
        }]`,
    )
    .join('')}\n`.replace('x_bomb', 'description');
}

function hookReceiver(secret: string, url = 'http://127.0.0.1:9/hook'): string {
  return `alerting:
  receivers:
    - name: hook
      type: webhook
      url: "${url}"
      ${secret}
  route: { receiver: hook }
`;
}

describe('job configuration', () => {
  it('fills defaults from the schema', () => {
    const job = parseJobConfig(VALID, 'job.yaml', {});
    expect(job.eventTime).toEqual({
      outOfOrdernessMs: 300_000,
      allowedLatenessMs: 3_600_000,
      idleTimeoutMs: 30_000,
      maxFutureMs: 3_600_000,
      maxJumpMs: 86_400_000,
      minTimeMs: Date.UTC(2000, 0, 1),
    });
    expect(job.storePath).toBe('pulse.duckdb');
    expect(job.operators[0]!.settings['windows']).toEqual([{ size: '1h' }, { size: '1d' }]);
  });

  it('the console section: off by default, its settings validated, unknown keys refused', () => {
    expect(parseJobConfig(VALID, 'job.yaml', {}).console).toEqual({ port: 0, host: '127.0.0.1', baseUrl: undefined, dueSoonMs: 86_400_000 });
    const set = parseJobConfig(`${VALID}console: { port: 8081, base_url: "https://pulse.example.com/", due_soon: 4h }\n`, 'job.yaml', {});
    expect(set.console).toEqual({ port: 8081, host: '127.0.0.1', baseUrl: 'https://pulse.example.com', dueSoonMs: 4 * 3_600_000 });
    expect(() => parseJobConfig(`${VALID}console: { prot: 8081 }\n`, 'job.yaml', {})).toThrow(/prot/);
    expect(() => parseJobConfig(`${VALID}console: { base_url: "javascript:alert(1)" }\n`, 'job.yaml', {})).toThrow(/base_url/);
    expect(() => parseJobConfig(`${VALID}console: { due_soon: soon }\n`, 'job.yaml', {})).toThrow(/due_soon/);
  });

  it('substitutes ${NAME} and ${NAME:-default} in values', () => {
    const yaml = VALID.replace('[a.ndjson]', '["${IN}", "${OTHER:-b.ndjson}"]') + 'metrics: { port: "${PORT:-9464}" }\n';
    const job = parseJobConfig(yaml, 'job.yaml', { IN: 'x.ndjson' });
    expect(job.sources['files']).toMatchObject({ paths: ['x.ndjson', 'b.ndjson'] });
    expect(job.metricsPort).toBe(9464);
  });

  it('--input replaces the files paths: a variable they name need not be set, and is not substituted', () => {
    const yaml = VALID.replace('[a.ndjson]', '["${EXPORT_DIR}/events.ndjson"]');
    expect(() => parseJobConfig(yaml, 'job.yaml', {})).toThrow(/sources\.files\.paths\[0\]: environment variable EXPORT_DIR is not set/);
    const job = parseJobConfig(yaml, 'job.yaml', {}, { inputReplacesPaths: true });
    expect(job.sources['files']).toMatchObject({ paths: ['${EXPORT_DIR}/events.ndjson'] });
    // A file source of another name too (--input stands for every one of them).
    const named = parseJobConfig(
      yaml.replace('source: files', 'source: exports').replace('  files: {', '  exports: {'),
      'job.yaml',
      {},
      {
        inputReplacesPaths: true,
      },
    );
    expect(named.sources['exports']).toMatchObject({ paths: ['${EXPORT_DIR}/events.ndjson'] });
    // Only the paths: every other value is substituted as before.
    expect(() => parseJobConfig(yaml + 'metrics: { port: "${PORT}" }\n', 'job.yaml', {}, { inputReplacesPaths: true })).toThrow(
      /metrics\.port: environment variable PORT is not set/,
    );
  });

  it('names the file and line of the key at fault', () => {
    const fails = (yaml: string): string => {
      try {
        parseJobConfig(yaml, 'job.yaml', {});
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(fails(VALID + 'windowz: 1\n')).toMatch(/^job\.yaml:8: windowz: unknown key; allowed/); // no key is a few edits from it
    // A typo a few edits from a key names the key meant (the README promises the close match).
    expect(fails(VALID + 'operator: []\n')).toMatch(/^job\.yaml:8: operator: unknown key \(did you mean operators\?\); allowed keys are/);
    expect(fails(VALID + 'event_time:\n  idle_timeout: 30s\n  allowed_lateness: 1 hour\n')).toMatch(/^job\.yaml:10: event_time\.allowed_lateness: "1 hour"/);
    const operator = VALID.replace('- type: customer_windows', '- type: customer_windows\n    windows:\n      - { size: 1h }\n      - { sise: 1d }');
    expect(fails(operator)).toMatch(
      /^job\.yaml:10: operators\[0\] \(customer_windows\): windows\[1\]\.sise: unknown key \(did you mean size\?\); allowed keys are size, slide/,
    );
    // A missing key: the line of the mapping that lacks it.
    expect(fails(VALID.replace('{ type: files, paths: [a.ndjson] }', '{ type: files }'))).toMatch(/^job\.yaml:5: sources\.files: the key 'paths' is required/);
    // The alerting section too, whose checks are the alert sink's own.
    const alerting =
      'alerting:\n  receivers:\n    - { name: ops, type: file, path: a.ndjson }\n  route:\n    receiver: ops\n    routes:\n      - receivr: ops\n';
    expect(fails(VALID + alerting)).toMatch(/^job\.yaml:14: alerting\.route\.routes\[0\]\.receivr: unknown key \(did you mean receiver\?\)/);
  });

  it('a mapping where a list belongs says to write a list, with an item of it', () => {
    const receiversAsMapping = 'alerting:\n  receivers:\n    name: ops\n    type: file\n    path: a.ndjson\n  route: { receiver: ops }\n';
    expect(() => parseJobConfig(VALID + receiversAsMapping, 'job.yaml', {})).toThrow(
      'job.yaml:9: alerting.receivers: must be a list, one item per line starting with "- ", e.g. - {name: ..., type: ...}',
    );
    // Any list option: a list of plain values has no keys to show.
    expect(() => parseJobConfig(VALID.replace('paths: [a.ndjson]', 'paths: a.ndjson'), 'job.yaml', {})).toThrow(
      'job.yaml:5: sources.files.paths: must be a list, e.g. [first, second], or one item per line starting with "- "',
    );
  });

  const cases: Array<[string, string, RegExp]> = [
    ['unknown top-level key', VALID + 'windowz: 1\n', /windowz: unknown key; allowed keys are name, description, source/],
    [
      'unknown operator',
      VALID.replace('customer_windows', 'customer_windowz'),
      /^job\.yaml:\d+: operators\[0\] \(customer_windowz\): type: unknown operator 'customer_windowz'; allowed: customer_windows/,
    ],
    ['bad duration', VALID + 'event_time: { allowed_lateness: 1 hour }\n', /event_time\.allowed_lateness: "1 hour" is not a duration like 30s, 15m/],
    [
      'operator setting',
      VALID.replace('- type: customer_windows', '- type: customer_windows\n    windows: [{ sise: 1h }]'),
      /operators\[0\] \(customer_windows\): windows\[0\]\.sise: unknown key \(did you mean size\?\); allowed keys are size, slide/,
    ],
    ['undefined source', VALID.replace('source: files', 'source: kafka'), /source: 'kafka' is not defined; defined sources are files/],
    [
      'source key',
      VALID.replace('{ type: files, paths: [a.ndjson] }', '{ type: files, path: a.ndjson }'),
      /sources\.files: the key 'paths' is required|path: unknown key/,
    ],
    ['missing env var', VALID.replace('[a.ndjson]', '["${NOPE}"]'), /^job\.yaml: sources\.files\.paths\[0\]: environment variable NOPE is not set/],
    [
      'two operators of one name',
      VALID.replace('- type: customer_windows', '- type: customer_windows\n  - type: customer_windows'),
      /^job\.yaml:\d+: operators\[1\] \(customer_windows\): name: 'customer_windows' is used twice/,
    ],
    [
      "an operator named as the job's profile store (its state would be the store's)",
      VALID.replace('- type: customer_windows', '- type: customer_windows\n    name: customer_profiles'),
      /^job\.yaml:\d+: operators\[0\] \(customer_windows\): name: 'customer_profiles' is the name of the job's store of customer profiles/,
    ],
    [
      'a window size in two customer_windows operators (the table has one row per customer and window: both wrote it)',
      VALID.replace(
        '- type: customer_windows',
        '- type: customer_windows\n    windows: [{ size: 1h }]\n  - type: customer_windows\n    name: more\n    windows: [{ size: 1d }, { size: 60m }]',
      ),
      /^job\.yaml:\d+: operators\[1\] \(customer_windows\): windows\[1\]\.size: windows of 60m are already in operators\[0\]/,
    ],
    [
      'two contact_kpis operators (their gauges clashed: a stack trace)',
      VALID.replace('- type: customer_windows', '- type: contact_kpis\n  - type: contact_kpis\n    name: more'),
      /^job\.yaml:\d+: operators\[1\] \(contact_kpis\): type: a job has one contact_kpis operator \(operators\[0\] is one\)/,
    ],
    ['YAML syntax', 'name: [unclosed\n', /YAML syntax error at line \d+, column \d+/],
    [
      'bad memory limit',
      VALID + 'store: { memory_limit: lots }\n',
      /store\.memory_limit: "lots" is not valid; expected DuckDB's buffer pool limit, e\.g\. 256MB or 2GB/,
    ],
    ['empty handoff_dir', VALID + 'checkpoint: { handoff_dir: "" }\n', /checkpoint\.handoff_dir: .*(at least 1|fewer than 1)/],
    [
      'handoff_dir and changelog',
      VALID + 'checkpoint: { handoff_dir: /x, changelog: { topic: state } }\n',
      /checkpoint: handoff_dir and changelog both move partition state; set one/,
    ],
    ['changelog topic name', VALID + 'checkpoint: { changelog: { topic: "a b" } }\n', /checkpoint\.changelog\.topic: /],
    ['changelog unknown key', VALID + 'checkpoint: { changelog: { topic: t, partitions: 4 } }\n', /checkpoint\.changelog\.partitions: unknown key/],
    [
      'recursive alias',
      VALID + 'description: &d [x, *d]\n',
      /job\.yaml: description\[1\]: a YAML alias refers to a node that contains it \(a recursive alias\)/,
    ],
    ['recursive alias in a map', VALID + 'reports: &r { dir: x, again: *r }\n', /reports\.again: a YAML alias refers to a node that contains it/],
    ['alias bomb', VALID + aliasBomb(), /YAML aliases expand too far/],
    [
      'unset secret variable',
      VALID + hookReceiver('bearer_token: ${HOOK_TOKEN}'),
      /alerting\.receivers\[0\]\.bearer_token: environment variable HOOK_TOKEN is not set; set it to the secret, or give bearer_token_file/,
    ],
    [
      'unset secret _env variable',
      VALID + hookReceiver('bearer_token_env: HOOK_TOKEN'),
      /alerting\.receivers\[0\]\.bearer_token: environment variable HOOK_TOKEN is not set/,
    ],
    [
      'Kafka receiver without brokers',
      VALID + 'alerting:\n  receivers:\n    - {name: k, type: kafka, topic: alerts}\n  route: {receiver: k}\n',
      /^job\.yaml:10: alerting\.receivers\[0\]\.brokers: a Kafka receiver needs brokers/,
    ],
    [
      'file receiver path that is a directory',
      VALID + 'alerting:\n  receivers:\n    - {name: f, type: file, path: /tmp}\n  route: {receiver: f}\n',
      /^job\.yaml:10: alerting\.receivers\[0\]\.path: \/tmp is a directory; name the file/,
    ],
    [
      'unreadable secret file',
      VALID + hookReceiver('bearer_token_file: /nonexistent/token'),
      /bearer_token_file: cannot read secret file '\/nonexistent\/token'/,
    ],
  ];
  for (const [name, yaml, message] of cases) {
    it(`rejects ${name} with a message naming the key`, () => {
      expect(() => parseJobConfig(yaml, 'job.yaml', {})).toThrow(ConfigError);
      expect(() => parseJobConfig(yaml, 'job.yaml', {})).toThrow(message);
    });
  }

  it('a variable set but empty is said to be empty, not unset', () => {
    const yaml = VALID.replace('[a.ndjson]', '["${EMPTY}"]');
    expect(() => parseJobConfig(yaml, 'job.yaml', { EMPTY: '' })).toThrow(
      /^job\.yaml: sources\.files\.paths\[0\]: environment variable EMPTY is set but empty; set it or write \$\{EMPTY:-default\}/,
    );
  });

  it('the documented secret form `bearer_token: ${HOOK_TOKEN}` works: the loader leaves it to the receiver, which reads the variable', async () => {
    const srv = await captureServer();
    try {
      const env = { HOOK_TOKEN: 'tok-from-env', HOOK_HOST: srv.url.replace('http://', '') };
      const job = parseJobConfig(VALID + hookReceiver('bearer_token: ${HOOK_TOKEN}', 'http://${HOOK_HOST}/hook'), 'job.yaml', env);
      const receivers = (job.alerting as { receivers: Array<Record<string, unknown>> }).receivers;
      // Other strings are substituted as usual; the secret stays a reference until the receiver is built.
      expect(receivers[0]).toMatchObject({ url: `${srv.url}/hook`, bearer_token: '${HOOK_TOKEN}' });
      const { config } = parseAlertingConfig(job.alerting);
      const hook = buildReceivers(config.receivers, deliverySettings(config.delivery), env).get('hook')!;
      await hook.send({ receiver: 'hook', groupKey: 'g', groupLabels: {}, status: 'firing', alerts: [], idempotencyKey: 'k', externalURL: '' });
      expect(srv.requests[0]?.headers.authorization).toBe('Bearer tok-from-env');
    } finally {
      await srv.close();
    }
  });

  it('the bundled default job is valid', () => {
    const job = loadJobConfig('pipelines/customer-analytics.yaml', {});
    expect(job.source).toBe('files');
    expect(job.sources['kafka']).toMatchObject({ type: 'kafka', topics: 'customer-events', group: 'customer-pulse' });
  });
});

describe('pulse CLI exit codes', () => {
  const cli = join(process.cwd(), 'dist/pipelines/cli.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it('exits 2 with the problem named for a bad config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-cfg-'));
    const path = join(dir, 'job.yaml');
    writeFileSync(path, VALID + 'event_time: { max_out_of_orderness: soon }\n');
    const result = run('run', '--config', path);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('event_time.max_out_of_orderness: "soon" is not a duration');
  });

  it('exits 2 for bad usage and 0 for help', () => {
    expect(run('run').status).toBe(2);
    expect(run('run', '--config', 'x.yaml', '--metrics-port', 'abc').status).toBe(2);
    expect(run('--help').status).toBe(0);
  });

  it('exits 2 with a message, not a stack trace, for a recursive alias and an unset secret; no database is created', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-cfg-'));
    for (const [name, yaml, expected] of [
      ['recursive.yaml', VALID + 'description: &d [x, *d]\n', 'a YAML alias refers to a node that contains it'],
      ['secret.yaml', VALID + hookReceiver('bearer_token: ${HOOK_TOKEN_UNSET}'), 'environment variable HOOK_TOKEN_UNSET is not set'],
    ] as const) {
      writeFileSync(join(dir, name), yaml);
      const db = join(dir, `${name}.duckdb`);
      const result = run('run', '--config', join(dir, name), '--input', join(dir, 'none.ndjson'), '--db', db);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain(expected);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(db)).toBe(false);
    }
  });

  it('exits 2 for a Kafka alert receiver without brokers, with the file and line, before any database is created', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-cfg-'));
    const path = join(dir, 'job.yaml');
    writeFileSync(path, VALID + 'alerting:\n  receivers:\n    - {name: k, type: kafka, topic: alerts}\n  route: {receiver: k}\n');
    const db = join(dir, 'kb.duckdb');
    const { PULSE_KAFKA_BROKERS: _unset, ...env } = process.env;
    const result = spawnSync(process.execPath, [cli, 'run', '--config', path, '--input', join(dir, 'none.ndjson'), '--db', db], { encoding: 'utf8', env });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `${path}:10: alerting.receivers[0].brokers: a Kafka receiver needs brokers (or the PULSE_KAFKA_BROKERS environment variable)`,
    );
    expect(existsSync(db)).toBe(false);
  });

  it('exits 2 when the config file does not exist', () => {
    const result = run('run', '--config', '/nonexistent/job.yaml');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('cannot read job config /nonexistent/job.yaml');
  });
});

describe('job configuration: record limits and event-time bounds', () => {
  it('defaults every limit and the stdin linger, and takes them from the YAML', () => {
    expect(parseJobConfig(VALID, 'job.yaml', {}).limits).toEqual({
      maxRecordBytes: 1_048_576,
      maxNestingDepth: 64,
      maxIdLength: 256,
      maxAmount: 1e12,
      maxQuantity: 1e12,
      maxContactSeconds: 86_400,
      maxSurveyAnswer: 1e6,
    });
    expect(parseJobConfig(VALID, 'job.yaml', {}).sources['files']).toMatchObject({ linger: '100ms' });
    const job = parseJobConfig(
      VALID.replace('paths: [a.ndjson] }', 'paths: [a.ndjson], linger: 2s }') +
        'limits: { max_record_bytes: 4096, max_amount: 5e6 }\nevent_time: { max_future: 10m, min_time: "2020-01-01T00:00:00+01:00" }\n',
      'job.yaml',
      {},
    );
    expect(job.limits).toMatchObject({ maxRecordBytes: 4096, maxAmount: 5e6, maxIdLength: 256 });
    expect(job.sources['files']).toMatchObject({ linger: '2s' });
    expect(job.eventTime).toMatchObject({ maxFutureMs: 600_000, minTimeMs: Date.UTC(2019, 11, 31, 23) });
  });

  const cases: Array<[string, string, RegExp]> = [
    ['min_time that is not a timestamp', 'event_time: { min_time: "last year" }\n', /event_time\.min_time: "last year" is not an RFC 3339 timestamp/],
    ['max_future that is not a duration', 'event_time: { max_future: 1 hour }\n', /event_time\.max_future: "1 hour" is not a duration/],
    ['an infinite bound', 'limits: { max_amount: .inf }\n', /limits\.max_amount: must be <= /],
    ['a zero bound', 'limits: { max_quantity: 0 }\n', /limits\.max_quantity: must be > 0/],
    ['a nesting depth of 1', 'limits: { max_nesting_depth: 1 }\n', /limits\.max_nesting_depth: must be >= 2/],
    ['an unknown limit', 'limits: { max_line: 10 }\n', /limits\.max_line: unknown key; allowed keys are max_record_bytes, max_nesting_depth/],
  ];
  for (const [name, yaml, message] of cases) {
    it(`rejects ${name} with a message naming the key`, () => {
      expect(() => parseJobConfig(VALID + yaml, 'job.yaml', {})).toThrow(ConfigError);
      expect(() => parseJobConfig(VALID + yaml, 'job.yaml', {})).toThrow(message);
    });
  }
});
