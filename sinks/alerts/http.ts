import { DeliveryError } from './errors.js';
import { redactCredentials, urlOrigin } from './redact.js';
import { clipText } from '../../operators/text-clip.js';

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Values that must never appear in an error message (the URL, a token): the reply may echo them. */
  secrets?: ReadonlyArray<string | undefined>;
}

/**
 * POSTs JSON with Node's fetch and a timeout, and classifies failures: 4xx other than 408 and 429
 * are permanent (the request itself is wrong), everything else is retried. Error messages name
 * the URL by its origin only and quote the reply with credentials removed: they are stored in
 * the outbox and shown by `pulse outbox list`.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<void> {
  const where = urlOrigin(url);
  // Webhook URLs often carry a token in their path (Slack, Teams, Discord): never quote it.
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const secrets = [url, parsed && parsed.pathname + parsed.search, ...(options.secrets ?? [])];
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (cause) {
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new DeliveryError('timeout', false, `POST ${where} timed out after ${options.timeoutMs} ms`, { cause });
    }
    const detail = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
    throw new DeliveryError('network', false, `POST ${where} failed: ${redactCredentials(detail, secrets)}`, { cause });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  // Redacted before it is cut, so a cut cannot leave the start of a secret behind.
  const text = clipText(redactCredentials(await response.text().catch(() => ''), secrets), 300, '');
  const status = response.status;
  const retryAfterMs = retryAfter(response.headers.get('retry-after'), Date.now());
  const message = `POST ${where} answered HTTP ${status}: ${text}${retryAfterMs === undefined ? '' : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`}`;
  const asked = retryAfterMs === undefined ? undefined : { retryAfterMs };
  if (status === 408) throw new DeliveryError('http_408', false, message, asked);
  if (status === 429) throw new DeliveryError('http_429', false, message, asked);
  if (status >= 400 && status < 500) throw new DeliveryError('http_4xx', true, message);
  throw new DeliveryError('http_5xx', false, message, asked);
}

/**
 * An HTTP `Retry-After` (RFC 9110 section 10.2.3: seconds, or a date) as milliseconds from `now`;
 * undefined when absent or unreadable. Rate-limited receivers (Slack and Teams webhooks answer 429
 * with it) count retries that come sooner against the sender.
 */
export function retryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse alone would also take "-5" for a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
