import type { DeliveredAlert, Notification } from './types.js';
import { clipText } from '../../operators/text-clip.js';

/** Alertmanager webhook receiver JSON (version 4), as Alertmanager 0.25 posts it. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Array<{
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

/** Label/annotation pairs shared by every alert (Alertmanager's commonLabels/commonAnnotations). */
export function common(maps: ReadonlyArray<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/**
 * An alert's annotations as receivers get them, with the customer it concerns (SPEC section 5) as
 * `customer_id`: an annotation, not a label, so that labels stay a bounded set (routing, grouping,
 * Alertmanager's series), while a receiver's own automation can still find the customer.
 */
function annotationsOf(a: DeliveredAlert): Record<string, string> {
  return a.customerId ? { ...a.annotations, customer_id: a.customerId } : a.annotations;
}

export function webhookPayload(n: Notification): WebhookPayload {
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map(annotationsOf)),
    externalURL: n.externalURL,
    alerts: n.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: annotationsOf(a),
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.alertId,
    })),
  };
}

/** Alertmanager API v2 `postableAlert`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * Firing alerts are posted without endsAt (Alertmanager then resolves them after its
 * resolve_timeout unless re-posted); resolved alerts carry their end time.
 */
export function postableAlerts(n: Notification): PostableAlert[] {
  return n.alerts.map((a) => {
    const out: PostableAlert = { labels: a.labels, annotations: annotationsOf(a), startsAt: a.startsAt };
    if (a.status === 'resolved') out.endsAt = a.endsAt;
    if (a.generatorURL) out.generatorURL = a.generatorURL;
    return out;
  });
}

function title(a: DeliveredAlert): string {
  return a.annotations.summary ?? `${a.labels.alertname ?? 'alert'} (${a.labels.severity ?? 'unknown'})`;
}

/** Annotations that carry the numbers that fired the alert, shown first. */
const NUMBER_KEYS = ['baseline', 'current', 'change', 'threshold'];

function details(a: DeliveredAlert): Array<[string, string]> {
  const skip = new Set(['summary', 'description']);
  const entries = Object.entries(a.annotations).filter(([k]) => !skip.has(k));
  entries.sort(([x], [y]) => rank(x) - rank(y) || x.localeCompare(y));
  return entries;
}

function rank(key: string): number {
  const i = NUMBER_KEYS.indexOf(key);
  return i < 0 ? NUMBER_KEYS.length : i;
}

export function isLink(value: string): boolean {
  return /^https?:\/\//.test(value);
}

export function notificationSubject(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const resolved = n.alerts.length - firing;
  const names = [...new Set(n.alerts.map((a) => a.labels.alertname ?? ''))].join(', ');
  const parts = [firing > 0 ? `${firing} firing` : '', resolved > 0 ? `${resolved} resolved` : ''].filter(Boolean);
  return `[${n.status.toUpperCase()}] ${names} (${parts.join(', ')})`;
}

/** `notes`: lines after the alerts (what is attached, what is linked). */
export function plainText(n: Notification, notes: readonly string[] = []): string {
  const lines = [notificationSubject(n), ''];
  for (const a of n.alerts) {
    lines.push(`${a.status.toUpperCase()}: ${title(a)}`);
    if (a.annotations.description) lines.push(a.annotations.description);
    for (const [k, v] of details(a)) lines.push(`  ${k}: ${v}`);
    lines.push(`  starts_at: ${a.startsAt}`);
    if (a.customerId) lines.push(`  customer_id: ${a.customerId}`);
    lines.push(`  alert_id: ${a.alertId}`);
    if (a.generatorURL) lines.push(`  link: ${a.generatorURL}`);
    lines.push('');
  }
  if (notes.length > 0) lines.push(...notes, '');
  return lines.join('\n');
}

/** Escapes text for HTML mail bodies (also report-body.ts). */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function html(n: Notification, notes: readonly string[] = []): string {
  const blocks = n.alerts.map((a) => {
    const rows = details(a)
      .map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${isLink(v) ? `<a href="${esc(v)}">${esc(v)}</a>` : esc(v)}</td></tr>`)
      .join('');
    const link = a.generatorURL ? `<p><a href="${esc(a.generatorURL)}">Open</a></p>` : '';
    return (
      `<h3>${esc(a.status.toUpperCase())}: ${esc(title(a))}</h3>` +
      (a.annotations.description ? `<p>${esc(a.annotations.description)}</p>` : '') +
      `<table>${rows}<tr><th align="left">starts_at</th><td>${esc(a.startsAt)}</td></tr>` +
      (a.customerId ? `<tr><th align="left">customer_id</th><td>${esc(a.customerId)}</td></tr>` : '') +
      `<tr><th align="left">alert_id</th><td>${esc(a.alertId)}</td></tr></table>${link}`
    );
  });
  const footer =
    notes.length === 0
      ? ''
      : `<hr><p>${notes.map((line) => (isLink(line.trim()) ? `<a href="${esc(line.trim())}">${esc(line.trim())}</a>` : esc(line))).join('<br>')}</p>`;
  return `<!doctype html><html><body><h2>${esc(notificationSubject(n))}</h2>${blocks.join('<hr>')}${footer}</body></html>`;
}

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` as entities, as Slack asks, so that text from events
 * (customer ids, survey comments) cannot mention `<!channel>` or `<@U123>`, or show a link
 * `<https://evil.example|Click here>` under words of its choosing.
 */
export function slackEscape(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * A Slack link to an http(s) URL, labelled with the URL itself; characters that would end the URL
 * early or start the label (`|`, `<`, `>`, spaces) are percent-encoded, so the label always shows
 * where the link goes.
 */
function slackLink(url: string): string {
  const target = url.replace(/[|<>\s]/g, (c) => encodeURIComponent(c));
  return `<${target}|${slackEscape(url)}>`;
}

/** Slack incoming-webhook message: `text` fallback plus section blocks, all text escaped. */
export function slackMessage(n: Notification): { text: string; blocks: unknown[] } {
  const subject = notificationSubject(n);
  // A header is plain_text (not parsed); the fallback `text` is mrkdwn, so it is escaped.
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clipText(subject, 150, '') } }];
  for (const a of n.alerts.slice(0, 20)) {
    const fields = details(a)
      .slice(0, 10)
      .map(([k, v]) => ({ type: 'mrkdwn', text: `*${slackEscape(k)}*\n${isLink(v) ? slackLink(v) : slackEscape(v)}` }));
    const body = `*${a.status.toUpperCase()}*: ${slackEscape(title(a))}\n${slackEscape(a.annotations.description ?? '')}`;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clipText(body, 3000, '') },
      ...(fields.length > 0 ? { fields } : {}),
    });
  }
  return { text: slackEscape(subject), blocks };
}
