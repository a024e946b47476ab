import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_DELIVERY, deliverySettings, parseAlertingConfig } from '../../../sinks/alerts/config.js';
import { AlertingConfigError } from '../../../sinks/alerts/errors.js';
import { enqueueAlerts } from '../../../sinks/alerts/outbox.js';
import { buildReceivers } from '../../../sinks/alerts/registry.js';
import { DeliveryWorker } from '../../../sinks/alerts/worker.js';
import { captureServer, makeAlert, memoryDb } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pulse-alert-config-'));

const YAML = `
external_url: http://pulse.example:9464
receivers:
  - name: ops-webhook
    type: webhook
    url: URL_PLACEHOLDER
    bearer_token_file: ${join(dir, 'token')}
  - name: archive
    type: file
    path: ${join(dir, 'alerts.ndjson')}
  - name: owners
    type: email
    to: [owners@example.test]
    from: pulse@example.test
    smarthost: 127.0.0.1:2525
    auth_username: pulse
    auth_password: \${PULSE_SMTP_PASSWORD}
route:
  receiver: archive
  group_by: [kind]
  group_wait: 0s
  routes:
    - matchers: ['severity=~"warning|critical"']
      receiver: ops-webhook
      continue: true
    - matchers: ['kind="sales"']
      receiver: owners
delivery:
  timeout: 5s
  max_attempts: 8
  backoff: {base: 2s, max: 10m}
`;

describe('alerting config', () => {
  it('parses YAML through the schema, resolves secrets from env and files, and delivers end to end', async () => {
    const srv = await captureServer();
    writeFileSync(join(dir, 'token'), 'tok-from-file\n');
    const raw = parse(YAML.replace('URL_PLACEHOLDER', srv.url)) as unknown;
    const { config, router } = parseAlertingConfig(raw);
    const settings = deliverySettings(config.delivery);
    expect(settings).toEqual({
      timeoutMs: 5000,
      maxAttempts: 8,
      backoffBaseMs: 2000,
      backoffMaxMs: 600_000,
      pollIntervalMs: 1000,
      resolveTimeoutMs: 86_400_000,
      drainTimeoutMs: 30_000,
    });
    const receivers = buildReceivers(config.receivers, settings, { PULSE_SMTP_PASSWORD: 'pw' });
    expect([...receivers.keys()]).toEqual(['ops-webhook', 'archive', 'owners']);

    const { conn, worker: wconn } = await memoryDb();
    const alert = makeAlert({ rule: 'AbandonHigh', subject: 'q', severity: 'critical' });
    await conn.run('BEGIN TRANSACTION');
    const rows = await enqueueAlerts(conn, [alert], router, Date.now(), { externalURL: config.external_url });
    await conn.run('COMMIT');
    // severity critical -> ops-webhook (continue) -> no sales match -> falls back to... only ops-webhook matched
    expect(rows.map((r) => r.receiver)).toEqual(['ops-webhook']);
    const info = makeAlert({ rule: 'Note', subject: 'n', severity: 'info', kind: 'analytic' });
    await conn.run('BEGIN TRANSACTION');
    expect((await enqueueAlerts(conn, [info], router, Date.now())).map((r) => r.receiver)).toEqual(['archive']);
    await conn.run('COMMIT');

    const worker = new DeliveryWorker({ conn: wconn, router, receivers, settings, externalURL: config.external_url });
    await worker.tick();
    await srv.close();
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]?.headers.authorization).toBe('Bearer tok-from-file');
    const body = srv.requests[0]?.body as { externalURL: string; alerts: Array<{ generatorURL: string }> };
    expect(body.externalURL).toBe('http://pulse.example:9464');
    expect(body.alerts[0]?.generatorURL).toBe(`http://pulse.example:9464/alerts/${alert.alert_id}`);
    const lines = readFileSync(join(dir, 'alerts.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { alerts: Array<{ fingerprint: string }> }).alerts[0]?.fingerprint)).toEqual([info.alert_id]);
  });

  const base = (): Record<string, unknown> => ({
    receivers: [{ name: 'a', type: 'file', path: '/tmp/x' }],
    route: { receiver: 'a' },
  });
  const message = (raw: unknown, env: NodeJS.ProcessEnv = {}): string => {
    try {
      const { config } = parseAlertingConfig(raw);
      buildReceivers(config.receivers, deliverySettings(config.delivery), env);
    } catch (e) {
      expect(e).toBeInstanceOf(AlertingConfigError);
      return (e as Error).message;
    }
    throw new Error('expected an AlertingConfigError');
  };

  it.each([
    [
      { ...base(), receivers: [{ name: 'a', type: 'pager' }] },
      /^alerting\.receivers\[0\] \(a\)\.type: "pager" is not one of webhook, alertmanager, email, slack, file, kafka/,
    ],
    [
      { ...base(), receivers: [{ name: 'a', type: 'webhook', url: 'http://x', token: 'y' }] },
      /^alerting\.receivers\[0\] \(a\)\.token: unknown key; allowed keys are name, type, url, bearer_token/,
    ],
    [{ ...base(), receivers: [{ name: 'a', type: 'email', from: 'a@b', smarthost: 'h:25' }] }, /^alerting\.receivers\[0\] \(a\): the key 'to' is required/],
    [
      {
        ...base(),
        receivers: [
          { name: 'a', type: 'file', path: 'p' },
          { name: 'a', type: 'file', path: 'q' },
        ],
      },
      /^alerting\.receivers\[1\]\.name: duplicate receiver name 'a'/,
    ],
    [{ ...base(), route: { receiver: 'b' } }, /^alerting\.route\.receiver: unknown receiver 'b'; defined receivers: a/],
    // A directory was retried (EISDIR) on every run, never refused.
    [
      { ...base(), receivers: [{ name: 'a', type: 'file', path: tmpdir() }] },
      /^alerting\.receivers\[0\]\.path: .+ is a directory; name the file the notifications are appended to/,
    ],
    [{ ...base(), delivery: { timeout: 'soon' } }, /^alerting\.delivery\.timeout: "soon" is not a duration like 30s, 15m, 1h, 1h30m/],
    [{ ...base(), delivery: { backoff: { base: '10m', max: '1s' } } }, /^alerting\.delivery\.backoff: base must not exceed max/],
    [
      { ...base(), receivers: [{ name: 'a', type: 'email', to: 'x@y.z', from: 'p@y.z', smarthost: 'h:25', max_attachment_bytes: -1 }] },
      /^alerting\.receivers\[0\] \(a\)\.max_attachment_bytes: must be >= 0/,
    ],
    [
      { ...base(), receivers: [{ name: 'a', type: 'email', to: 'x@y.z', from: 'p@y.z', smarthost: 'h:25', reports_url: 'file:///srv/reports' }] },
      /^alerting\.receivers\[0\] \(a\)\.reports_url: "file:\/\/\/srv\/reports" is not valid; expected an http:\/\/ or https:\/\/ URL/,
    ],
    [{ ...base(), extra: 1 }, /^alerting\.extra: unknown key; allowed keys are external_url, receivers, route/],
  ])('rejects bad config %#', (raw, pattern) => {
    expect(message(raw)).toMatch(pattern);
  });

  it("fills each receiver type's defaults from its schema and leaves given values alone", () => {
    const { config } = parseAlertingConfig({
      receivers: [
        { name: 'mail', type: 'email', to: 'x@y.z', from: 'p@y.z', smarthost: 'h:25' },
        { name: 'mail2', type: 'email', to_team_members: true, from: 'p@y.z', smarthost: 'h:25', tls: true, max_attachments: 0 },
        { name: 'bus', type: 'kafka', topic: 't' },
        { name: 'hook', type: 'webhook', url: 'http://x' },
      ],
      route: { receiver: 'hook' },
    });
    // The README's documented defaults: plain SMTP, 3 files of 1 MiB at most, messages keyed by alert id.
    expect(config.receivers[0]).toEqual({
      name: 'mail',
      type: 'email',
      to: 'x@y.z',
      from: 'p@y.z',
      smarthost: 'h:25',
      require_tls: false,
      tls: false,
      max_attachments: 3,
      max_attachment_bytes: 1_048_576,
    });
    expect(config.receivers[1]).toMatchObject({ tls: true, require_tls: false, max_attachments: 0, max_attachment_bytes: 1_048_576 });
    expect(config.receivers[2]).toEqual({ name: 'bus', type: 'kafka', topic: 't', key: 'alert_id' });
    // A type without defaults gets no keys of another type's.
    expect(config.receivers[3]).toEqual({ name: 'hook', type: 'webhook', url: 'http://x' });
    // Without a delivery section: the README's delivery defaults (10s, 12 attempts, backoff 1s..5m, poll 1s, 24h, 30s).
    const defaults = {
      timeoutMs: 10_000,
      maxAttempts: 12,
      backoffBaseMs: 1_000,
      backoffMaxMs: 300_000,
      pollIntervalMs: 1_000,
      resolveTimeoutMs: 86_400_000,
      drainTimeoutMs: 30_000,
    };
    expect(deliverySettings(config.delivery)).toEqual(defaults);
    expect(DEFAULT_DELIVERY).toEqual(defaults);
    // A max below the default base is refused too (the default base would exceed it).
    expect(message({ ...base(), delivery: { backoff: { max: '500ms' } } })).toMatch(/^alerting\.delivery\.backoff: base must not exceed max/);
  });

  it('refuses a receiver URL that carries a credential, and says where the secret goes instead', () => {
    const hook = (url: string): unknown => ({ ...base(), receivers: [{ name: 'a', type: 'webhook', url }] });
    const userinfo = message(hook('https://ops:hunter22@hooks.example.com/pulse'));
    expect(userinfo).toMatch(/^alerting\.receivers\[0\]\.url: the URL is refused: it carries a user name and password/);
    expect(userinfo).toContain('bearer_token_file: /run/secrets/TOKEN, bearer_token_env: ENV_VAR or bearer_token: ${ENV_VAR}');
    expect(userinfo).not.toContain('hunter22');
    expect(message(hook('https://hooks.example.com/pulse?token=abc'))).toMatch(/its query carries a credential \(token=\)/);
    expect(message({ ...base(), receivers: [{ name: 'a', type: 'alertmanager', url: 'http://am:9093/?access_token=x' }] })).toMatch(/access_token=/);
    expect(() => parseAlertingConfig(hook('https://hooks.example.com/pulse?format=json'))).not.toThrow();
  });

  it('refuses an e-mail receiver address that is not one, naming the receiver and key; takes UTF-8 addresses and display names', () => {
    const mail = (extra: Record<string, unknown>): unknown => ({
      ...base(),
      receivers: [{ name: 'mail', type: 'email', to: 'ops@example.com', from: 'pulse@example.com', smarthost: 'smtp.example.com:587', ...extra }],
      route: { receiver: 'mail' },
    });
    const fix = 'Write an address as user@example.com, or with a name as "Ops Desk <user@example.com>"';
    // nodemailer drops these and every mail fails "No recipients defined", retried until dead.
    expect(message(mail({ to: ['not-an-address'] }))).toBe(`alerting.receivers[0] (mail).to[0]: "not-an-address" is not an e-mail address. ${fix}`);
    expect(message(mail({ to: ['ops@example.com', 'Ops <ops-at-example.com>'] }))).toBe(
      `alerting.receivers[0] (mail).to[1]: "ops-at-example.com" in "Ops <ops-at-example.com>" is not an e-mail address. ${fix}`,
    );
    expect(message(mail({ to: 'ops@example.com, owners' }))).toMatch(/^alerting\.receivers\[0\] \(mail\)\.to: "owners" in "ops@example.com, owners" is not/);
    expect(message(mail({ to: 'ops@@example.com' }))).toMatch(/^alerting\.receivers\[0\] \(mail\)\.to: "ops@@example.com" is not an e-mail address/);
    expect(message(mail({ from: 'pulse' }))).toMatch(/^alerting\.receivers\[0\] \(mail\)\.from: "pulse" is not an e-mail address/);
    expect(message(mail({ from: 'a@example.com, b@example.com' }))).toMatch(
      /\.from: "a@example\.com, b@example\.com" is more than one address; a mail has one sender/,
    );
    // RFC 6531 addresses, display names (quoted, non-ASCII), several addresses in one entry, and a relay's local domain.
    const good = [
      'zoë@example.com',
      '用户@例子.广告',
      'Zoë Lead <zoe@example.com>',
      '"Ops, Team" <ops@example.com>',
      'a@example.com, b@example.com',
      'root@localhost',
    ];
    expect(() => parseAlertingConfig(mail({ to: good, from: 'Pulse Alerts <pulse@example.com>' }))).not.toThrow();
  });

  it('refuses literal secrets and names unset variables, without echoing the secret', () => {
    const email = (extra: Record<string, unknown>): unknown => ({
      ...base(),
      receivers: [{ name: 'a', type: 'email', to: 'x@y.z', from: 'p@y.z', smarthost: 'h:25', auth_username: 'u', ...extra }],
    });
    const literal = message(email({ auth_password: 'hunter2' }));
    expect(literal).toMatch(/^alerting\.receivers\[0\]\.auth_password: secrets must be \$\{ENV_VAR\}/);
    expect(literal).not.toContain('hunter2');
    expect(message(email({ auth_password: '${NOPE}' }))).toMatch(/environment variable NOPE is not set/);
    expect(message(email({ auth_password_env: 'NOPE2' }))).toMatch(/environment variable NOPE2 is not set/);
    expect(message(email({ auth_password_file: '/nonexistent/pw' }))).toMatch(/auth_password_file: cannot read secret file/);
    // The Kafka receiver is in the registry's list (no module import registers it): it names its missing brokers.
    expect(message({ ...base(), receivers: [{ name: 'k', type: 'kafka', topic: 't' }], route: { receiver: 'k' } })).toMatch(
      /^alerting\.receivers\[0\]\.brokers: a Kafka receiver needs brokers \(or the PULSE_KAFKA_BROKERS environment variable\)/,
    );
  });
});
