import { DeliveryError } from './errors.js';

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
}

/**
 * POSTs JSON with Node's fetch and a timeout, and classifies failures: 4xx other than 408 and 429
 * are permanent (the request itself is wrong), everything else is retried.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<void> {
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
      throw new DeliveryError('timeout', false, `POST ${redact(url)} timed out after ${options.timeoutMs} ms`, { cause });
    }
    const detail = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
    throw new DeliveryError('network', false, `POST ${redact(url)} failed: ${detail}`, { cause });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  const text = (await response.text().catch(() => '')).slice(0, 300);
  const status = response.status;
  const message = `POST ${redact(url)} answered HTTP ${status}: ${text}`;
  if (status === 408) throw new DeliveryError('http_408', false, message);
  if (status === 429) throw new DeliveryError('http_429', false, message);
  if (status >= 400 && status < 500) throw new DeliveryError('http_4xx', true, message);
  throw new DeliveryError('http_5xx', false, message);
}

/** Drops user info and query strings (which may hold tokens, as Slack URLs do) from logged URLs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 24 ? u.pathname.slice(0, 24) + '…' : u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
