import type { Transporter } from 'nodemailer';
import { DeliveryError } from './errors.js';
import { DEFAULT_ATTACHMENT_LIMITS, planReports, reportNotes, withReportLinks, type AttachmentLimits } from './email-reports.js';
import { redactCredentials } from './redact.js';
import { html, notificationSubject, plainText } from './payloads.js';
import type { Notification, Receiver } from './types.js';
import { reportBody } from './report-body.js';

/** The addresses of the members of a team (console_users; pipelines/alert-delivery.ts wires it). */
export type TeamMemberLookup = (team: string) => Promise<string[]>;

export interface EmailOptions {
  name: string;
  /** Fixed addresses; may be empty when `teamMembers` is given. */
  to: string[];
  /** `to_team_members: true`: each team of the notification's alerts also gets a mail of its own alerts. */
  teamMembers?: TeamMemberLookup;
  from: string;
  host: string;
  port: number;
  /** Implicit TLS (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure: boolean;
  /** Refuse to send without STARTTLS. */
  requireTls: boolean;
  username?: string;
  /** Already resolved from env or file; never logged. */
  password?: string;
  timeoutMs: number;
  /** Where the reports directory is served (`https://pulse.example.com/reports`): reports are linked there. */
  reportsUrl?: string;
  /** Which of the notification's own reports are attached; default DEFAULT_ATTACHMENT_LIMITS. */
  attachments?: AttachmentLimits;
}

/**
 * Email over SMTP with nodemailer: HTML body and plain-text part with every report linked (a
 * scheduled report's notification has the report itself as its body), and the notification's own
 * reports attached within the size limits (see email-reports.ts).
 */
export class EmailReceiver implements Receiver {
  readonly type = 'email' as const;
  readonly name: string;
  /** Opened with the first mail: nodemailer loads then, not with every `pulse` command (about 40 ms of each start). */
  private transport: Promise<Transporter> | undefined;
  constructor(private readonly options: EmailOptions) {
    this.name = options.name;
  }

  private openTransport(): Promise<Transporter> {
    const { options } = this;
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: options.host,
        port: options.port,
        secure: options.secure,
        requireTLS: options.requireTls,
        auth: options.username ? { user: options.username, pass: options.password ?? '' } : undefined,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        logger: false,
      }),
    );
    return this.transport;
  }

  /**
   * The fixed addresses get the whole notification; with `teamMembers`, the members of each team
   * (label `team`) get a mail of only that team's alerts, so no team reads another's cases.
   */
  async send(n: Notification): Promise<void> {
    if (this.options.to.length > 0) await this.sendTo(this.options.to, n, n.idempotencyKey);
    const lookup = this.options.teamMembers;
    if (lookup === undefined) return;
    const teams = [...new Set(n.alerts.map((a) => a.labels['team']).filter((t): t is string => t !== undefined))].sort();
    for (const team of teams) {
      const members = await lookup(team);
      if (members.length === 0) continue;
      const alerts = n.alerts.filter((a) => a.labels['team'] === team);
      // Its own message id: a retry of the notification is recognised per team, as the whole one is.
      await this.sendTo(members, { ...n, alerts }, `${n.idempotencyKey}.${team.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    }
  }

  private async sendTo(to: readonly string[], n: Notification, messageKey: string): Promise<void> {
    const limits = this.options.attachments ?? DEFAULT_ATTACHMENT_LIMITS;
    const plan = planReports(n, limits);
    const linked: Notification = { ...n, alerts: withReportLinks(n.alerts, this.options.reportsUrl) };
    const notes = reportNotes(n, plan, limits, this.options.reportsUrl);
    try {
      const transport = await this.openTransport();
      await transport.sendMail({
        from: this.options.from,
        to: [...to],
        subject: notificationSubject(n),
        text: plainText(linked, notes),
        // A scheduled report's notification is the report itself (report-body.ts).
        html: reportBody(n) ?? html(linked, notes),
        attachments: plan.attached,
        headers: { 'X-Idempotency-Key': messageKey },
        messageId: `<${messageKey}@customer-pulse>`,
      });
    } catch (cause) {
      throw classifySmtp(cause, this.secrets());
    }
  }

  async close(): Promise<void> {
    // A transport that could not be opened has nothing to close (its sends failed already).
    (await this.transport?.catch(() => undefined))?.close();
  }

  /** The password, and the forms an SMTP server could echo it in (AUTH PLAIN and LOGIN are base64). */
  private secrets(): string[] {
    const { username = '', password } = this.options;
    if (!password) return [];
    const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    return [password, base64(password), base64(`\u0000${username}\u0000${password}`)];
  }
}

/**
 * SMTP 5xx replies (every recipient rejected with one too), authentication failures and envelopes
 * nodemailer refuses before sending (no recipient, an invalid sender or recipient: the same
 * addresses are refused again at every retry) are permanent; 4xx and connection problems are not.
 */
function classifySmtp(cause: unknown, secrets: readonly string[]): DeliveryError {
  const e = cause as { code?: string; command?: string; responseCode?: number; message?: string };
  const message = `SMTP delivery failed: ${redactCredentials(e.message ?? String(cause), secrets)}`;
  if (e.code === 'EAUTH') return new DeliveryError('smtp', true, message, { cause });
  if (e.code === 'EENVELOPE' && e.command === 'API') return new DeliveryError('smtp', true, message, { cause });
  if (e.code === 'ETIMEDOUT') return new DeliveryError('timeout', false, message, { cause });
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new DeliveryError('network', false, message, { cause });
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return new DeliveryError('smtp', true, message, { cause });
  return new DeliveryError('smtp', false, message, { cause });
}
