import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { DeliveryError } from './errors.js';
import { redactCredentials } from './redact.js';
import { html, notificationSubject, plainText } from './payloads.js';
import type { Notification, Receiver } from './types.js';
import { reportBody } from './report-body.js';

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
}

/** Annotation keys that may name a generated report file to attach. */
export const REPORT_ANNOTATIONS = ['report_path', 'report_file'] as const;

/**
 * The report files named by the alerts' annotations, read now, deduplicated. A report is rendered
 * after the checkpoint that linked it, so it may not exist yet (or be gone): it is then left out
 * and the message goes anyway, with the link among the alert's annotations in its body. Reading
 * here rather than handing nodemailer the path means a file cannot vanish between this check and
 * the send; a report is only ever replaced whole (renamed into place), so it is never half-read.
 */
export function reportAttachments(n: Notification): Array<{ filename: string; content: Buffer }> {
  const files = new Map<string, Buffer>();
  for (const a of n.alerts) {
    for (const key of REPORT_ANNOTATIONS) {
      const p = a.annotations[key];
      if (!p || files.has(p)) continue;
      try {
        files.set(p, readFileSync(p));
      } catch {
        // Not rendered yet, or removed: not a reason to hold the alert back.
      }
    }
  }
  return [...files].map(([path, content]) => ({ filename: basename(path), content }));
}

/** Email over SMTP with nodemailer: HTML body (a scheduled report's own page), plain-text part, report attachments. */
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
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: this.options.to,
        subject: notificationSubject(n),
        text: plainText(n),
        html: reportBody(n) ?? html(n),
        attachments: reportAttachments(n),
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
