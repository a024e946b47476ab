import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { DeliveryError } from './errors.js';
import {
  DEFAULT_ATTACHMENT_LIMITS,
  planReports,
  reportNotes,
  withReportLinks,
  type AttachmentLimits,
} from './email-reports.js';
import { redactCredentials } from './redact.js';
import { html, notificationSubject, plainText } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface EmailOptions {
  name: string;
  to: string[];
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
 * Email over SMTP with nodemailer: HTML body and plain-text part with every report linked, and the
 * notification's own reports attached within the size limits (see email-reports.ts).
 */
export class EmailReceiver implements Receiver {
  readonly type = 'email' as const;
  readonly name: string;
  private readonly transport: Transporter;
  constructor(private readonly options: EmailOptions) {
    this.name = options.name;
    this.transport = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: options.requireTls,
      auth: options.username ? { user: options.username, pass: options.password ?? '' } : undefined,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      logger: false,
    });
  }

  async send(n: Notification): Promise<void> {
    const limits = this.options.attachments ?? DEFAULT_ATTACHMENT_LIMITS;
    const plan = planReports(n, limits);
    const linked: Notification = { ...n, alerts: withReportLinks(n.alerts, this.options.reportsUrl) };
    const notes = reportNotes(n, plan, limits, this.options.reportsUrl);
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: this.options.to,
        subject: notificationSubject(n),
        text: plainText(linked, notes),
        html: html(linked, notes),
        attachments: plan.attached,
        headers: { 'X-Idempotency-Key': n.idempotencyKey },
        messageId: `<${n.idempotencyKey}@customer-pulse>`,
      });
    } catch (cause) {
      throw classifySmtp(cause, this.secrets());
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  /** The password, and the forms an SMTP server could echo it in (AUTH PLAIN and LOGIN are base64). */
  private secrets(): string[] {
    const { username = '', password } = this.options;
    if (!password) return [];
    const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    return [password, base64(password), base64(`\u0000${username}\u0000${password}`)];
  }
}

/** SMTP 5xx replies and authentication failures are permanent; 4xx and connection problems are not. */
function classifySmtp(cause: unknown, secrets: readonly string[]): DeliveryError {
  const e = cause as { code?: string; responseCode?: number; message?: string };
  const message = `SMTP delivery failed: ${redactCredentials(e.message ?? String(cause), secrets)}`;
  if (e.code === 'EAUTH') return new DeliveryError('smtp', true, message, { cause });
  if (e.code === 'ETIMEDOUT') return new DeliveryError('timeout', false, message, { cause });
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new DeliveryError('network', false, message, { cause });
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return new DeliveryError('smtp', true, message, { cause });
  return new DeliveryError('smtp', false, message, { cause });
}
