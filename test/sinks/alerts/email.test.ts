import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailReceiver, type EmailOptions } from '../../../sinks/alerts/email.js';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import { deliveredAlert } from '../../../sinks/alerts/outbox.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { stopPeer } from '../../helpers/peer-process.js';
import { PYTHON, startSmtpServer, type ReceivedMail } from '../../helpers/smtp-server.js';
import { freePort } from '../../../bench/free-port.js';
import { makeAlert } from './helpers.js';

type Received = ReceivedMail;

describe.skipIf(!existsSync(PYTHON))('email receiver against a real SMTP server (aiosmtpd)', () => {
  let proc: ChildProcess;
  let port: number;
  let dir: string;
  let outDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-smtp-'));
    ({ proc, port, outDir } = await startSmtpServer(dir));
  });

  afterAll(() => stopPeer(proc, dir));

  const receiver = (to: string[], extra: Partial<EmailOptions> = {}): EmailReceiver =>
    new EmailReceiver({ name: 'mail', to, from: 'pulse@example.test', host: '127.0.0.1', port, secure: false, requireTls: false, timeoutMs: 5000, ...extra });

  /** Sends one notification and returns the message the server received. */
  async function sendAndReceive(r: EmailReceiver, n: Notification): Promise<Received> {
    try {
      await r.send(n);
    } finally {
      await r.close();
    }
    const file = readdirSync(outDir).find((f) => f.endsWith('.json') && readFileSync(join(outDir, f), 'utf8').includes(`"${n.idempotencyKey}"`));
    return JSON.parse(readFileSync(join(outDir, file as string), 'utf8')) as Received;
  }

  /** A report file of `kb` kilobytes under dir/many. */
  function reportFile(name: string, kb: number): string {
    mkdirSync(join(dir, 'many'), { recursive: true });
    const path = join(dir, 'many', `${name}.html`);
    writeFileSync(path, `<html>${name}${'x'.repeat(kb * 1000)}</html>`);
    return path;
  }

  it('sends HTML and plain text with the numbers and links, and attaches the report file', async () => {
    const report = join(dir, 'drift-report.html');
    writeFileSync(report, '<html>drift report body</html>');
    const alert = makeAlert({
      rule: 'SpendDrop',
      subject: 'c-42',
      kind: 'sales',
      customer_id: 'c-42',
      annotations: {
        summary: 'Weekly spend of c-42 fell 62%',
        description: 'Spend 38.00 vs baseline 100.00',
        baseline: '100.00',
        current: '38.00',
        change: '-0.62',
        threshold: '-0.5',
        report_path: report,
        case_url: 'http://pulse.local/cases/77',
      },
    });
    const missing = makeAlert({ rule: 'SpendDrop', subject: 'c-43', annotations: { summary: 's', report_path: join(dir, 'gone.html') } });
    const n: Notification = {
      receiver: 'mail',
      groupKey: 'g',
      groupLabels: { kind: 'sales' },
      status: 'firing',
      alerts: [deliveredAlert(alert), deliveredAlert(missing)],
      idempotencyKey: 'idem-1',
      externalURL: '',
    };
    const r = receiver(['owner@example.test']);
    await r.send(n);
    await r.close();
    const files = readdirSync(outDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const got = JSON.parse(readFileSync(join(outDir, files[0]!), 'utf8')) as Received;
    expect(got.rcpt_tos).toEqual(['owner@example.test']);
    expect(got.subject).toBe('[FIRING] SpendDrop (2 firing)');
    expect(got.idempotency_key).toBe('idem-1');
    for (const body of [got.text, got.html]) {
      for (const s of ['Weekly spend of c-42 fell 62%', 'Spend 38.00 vs baseline 100.00', '100.00', '38.00', '-0.62', 'c-42', alert.alert_id]) {
        expect(body).toContain(s);
      }
    }
    expect(got.text.replace(/\r\n/g, '\n')).toContain('  baseline: 100.00\n  current: 38.00\n  change: -0.62\n  threshold: -0.5');
    expect(got.html).toContain('<a href="http://pulse.local/cases/77">http://pulse.local/cases/77</a>');
    // Only the report that exists is attached.
    expect(got.attachments).toEqual([{ filename: 'drift-report.html', content: '<html>drift report body</html>' }]);
  });

  it('sends at once with the link when the report is not rendered yet, and attaches it once it is', async () => {
    const report = join(dir, 'reports', 'kpi-abandon_rate-billing-voice-15m-2026-03-02T00-00-00Z-billingabandonratehigh.html');
    const alert = makeAlert({
      rule: 'BillingAbandonRateHigh',
      subject: 'billing/voice',
      kind: 'analytic',
      annotations: { summary: 'abandon rate high', report_path: report },
    });
    const notification = (key: string): Notification => ({
      receiver: 'mail',
      groupKey: 'g',
      groupLabels: {},
      status: 'firing',
      alerts: [deliveredAlert(alert)],
      idempotencyKey: key,
      externalURL: '',
    });
    const received = (key: string): Received => {
      const file = readdirSync(outDir).find((f) => f.endsWith('.json') && readFileSync(join(outDir, f), 'utf8').includes(`"${key}"`));
      return JSON.parse(readFileSync(join(outDir, file as string), 'utf8')) as Received;
    };
    const r = receiver(['ops@example.test']);
    try {
      // The report queue has not rendered it (its directory does not even exist yet).
      await r.send(notification('before-render'));
      const before = received('before-render');
      expect(before.attachments).toEqual([]);
      expect(before.text).toContain(`report_path: ${report}`);
      expect(before.html).toContain(report);

      mkdirSync(join(dir, 'reports'));
      writeFileSync(report, '<html>kpi report</html>');
      await r.send(notification('after-render'));
      expect(received('after-render').attachments).toEqual([{ filename: basename(report), content: '<html>kpi report</html>' }]);
    } finally {
      await r.close();
    }
  });

  it("attaches a notification's most important reports within the size cap and links every report", async () => {
    const at = (day: number): number => Date.parse(`2026-03-0${day}T00:00:00Z`);
    const alert = (name: string, severity: 'info' | 'warning' | 'critical', day: number, kb: number | null, status: 'firing' | 'resolved' = 'firing') =>
      deliveredAlert(
        makeAlert({
          rule: 'ServiceLevelLow',
          subject: name,
          kind: 'analytic',
          severity,
          status,
          window_start: at(day),
          fired_at: at(day) + 86_400_000,
          annotations: { summary: `SL low ${name}`, report_path: kb === null ? join(dir, 'many', `${name}.html`) : reportFile(name, kb) },
        }),
      );
    // A replay's notification: six alerts of one group, each with its report of 300 kB (one not rendered).
    const alerts = [
      alert('info-new', 'info', 6, 300),
      alert('warn-old', 'warning', 2, 300),
      alert('crit-resolved', 'critical', 5, 300, 'resolved'),
      alert('warn-new', 'warning', 4, 300),
      alert('crit-firing', 'critical', 3, 300),
      alert('not-rendered', 'critical', 1, null),
    ];
    const n: Notification = { receiver: 'mail', groupKey: 'g', groupLabels: {}, status: 'firing', alerts, idempotencyKey: 'replay-1', externalURL: '' };
    const base = 'https://pulse.example.test/reports/';
    const got = await sendAndReceive(receiver(['ops@example.test'], { reportsUrl: base, attachments: { maxFiles: 3, maxBytes: 700_000 } }), n);
    // Critical first, firing before resolved; a third file of 300 kB would pass 700 kB.
    expect(got.attachments.map((a) => a.filename)).toEqual(['crit-firing.html', 'crit-resolved.html']);
    expect(got.attachments.reduce((sum, a) => sum + a.content.length, 0)).toBeLessThanOrEqual(700_000);
    for (const name of ['info-new', 'warn-old', 'crit-resolved', 'warn-new', 'crit-firing', 'not-rendered']) {
      const url = `${base}${name}.html`;
      expect(got.html).toContain(`<a href="${url}">${url}</a>`);
      expect(got.text).toContain(url);
    }
    const text = got.text.replace(/\r\n/g, '\n');
    expect(text).toContain('Attached: crit-firing.html, crit-resolved.html.');
    expect(text).toContain('4 reports linked, not attached (at most 3 files and 684 KiB are attached, most important alerts first');
    // The linked-only list, most important first: the critical one not rendered, then the newest warning.
    expect(text).toMatch(new RegExp(`not-rendered\\.html\\n  ${base}warn-new\\.html\\n  ${base}warn-old\\.html\\n  ${base}info-new\\.html`));

    // The file count is a limit too: small reports, at most 3 files.
    const small = ['a', 'b', 'c', 'd'].map((name, i) => alert(`small-${name}`, 'warning', i + 1, 1));
    const few = await sendAndReceive(receiver(['ops@example.test'], { attachments: { maxFiles: 3, maxBytes: 1_048_576 } }), {
      ...n,
      alerts: small,
      idempotencyKey: 'replay-2',
    });
    expect(few.attachments.map((a) => a.filename)).toEqual(['small-d.html', 'small-c.html', 'small-b.html']);
    // Without reports_url the body names the file.
    expect(few.text).toContain(join(dir, 'many', 'small-a.html'));
  });

  it('a repeat notification attaches nothing: its reports went out with the first one, and are linked', async () => {
    const report = reportFile('repeat', 1);
    const a = deliveredAlert(
      makeAlert({ rule: 'AbandonRateHigh', subject: 'billing/voice', kind: 'analytic', annotations: { summary: 's', report_path: report } }),
    );
    const n: Notification = {
      receiver: 'mail',
      groupKey: 'g',
      groupLabels: {},
      status: 'firing',
      alerts: [a],
      idempotencyKey: 'repeat-1@1',
      externalURL: '',
      repeat: true,
    };
    const got = await sendAndReceive(receiver(['ops@example.test'], { reportsUrl: 'https://pulse.example.test/reports' }), n);
    expect(got.attachments).toEqual([]);
    expect(got.html).toContain('<a href="https://pulse.example.test/reports/repeat.html">');
    expect(got.text).toContain('this is a repeat notification');
  });

  it('a 550 reply and an envelope without a recipient are permanent SMTP failures; a closed port is retryable', async () => {
    const n: Notification = {
      receiver: 'mail',
      groupKey: 'g',
      groupLabels: {},
      status: 'firing',
      alerts: [deliveredAlert(makeAlert({ rule: 'R', subject: 's' }))],
      idempotencyKey: 'k',
      externalURL: '',
    };
    const err = (await receiver(['reject@example.test'])
      .send(n)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.permanent).toBe(true);
    expect(err.reason).toBe('smtp');
    // nodemailer refuses an envelope without a recipient before it sends: the same at every retry.
    const none = (await receiver(['not-an-address'])
      .send(n)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(none).toBeInstanceOf(DeliveryError);
    expect(none.message).toBe('SMTP delivery failed: No recipients defined');
    expect(none.permanent).toBe(true);
    const closed = await freePort();
    const down = new EmailReceiver({
      name: 'm',
      to: ['a@b.c'],
      from: 'p@b.c',
      host: '127.0.0.1',
      port: closed,
      secure: false,
      requireTls: false,
      timeoutMs: 2000,
    });
    const err2 = (await down.send(n).catch((e: unknown) => e)) as DeliveryError;
    expect(err2.permanent).toBe(false);
    expect(err2.reason).toBe('network');
  });
});
