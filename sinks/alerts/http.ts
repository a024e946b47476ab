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
 * Redirects followed per attempt. Fetch follows 20, re-POSTing the payload each time, so a
 * receiver that redirects to itself took 21 POSTs per attempt; a moved endpoint or an
 * http-to-https redirect needs one.
 */
export const MAX_REDIRECTS = 3;

/** Redirects that keep the method and the body (RFC 9110 section 15.4): the only ones a POST can follow. */
const REDIRECTS_KEEPING_POST = new Set([307, 308]);

/**
 * Bytes of an error answer read to quote it. An error page may be endless or a gigabyte: read
 * whole, one stalled a job and tripled its memory. It is far more than the 300 characters quoted,
 * so the redaction before the cut sees a secret near the start whole.
 */
const ERROR_BODY_BYTES = 4096;

/**
 * POSTs JSON with Node's fetch and a timeout, and classifies failures: 4xx other than 408 and 429
 * are permanent (the request itself is wrong), everything else is retried. Error messages name
 * the URL by its origin only and quote the reply with credentials removed: they are stored in
 * the outbox and shown by `pulse outbox list`.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<void> {
  const secrets = [...urlSecrets(url), ...(options.secrets ?? [])];
  const response = await postFollowingRedirects(url, JSON.stringify(body), options, secrets);
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  throw await answerError(response, url, secrets);
}

/** The URL and its path: webhook URLs often carry a token in their path (Slack, Teams, Discord). */
function urlSecrets(url: string): string[] {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  return parsed ? [url, parsed.pathname + parsed.search] : [url];
}

/**
 * The answer to the POST, after at most MAX_REDIRECTS 307/308 redirects; the timeout covers the
 * whole chain. Redirects are followed here, not by fetch, to bound them; `secrets` gains each
 * URL redirected to.
 */
async function postFollowingRedirects(url: string, payload: string, options: PostOptions, secrets: Array<string | undefined>): Promise<Response> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  let target = url;
  for (let redirects = 0; ; redirects++) {
    const response = await post(target, payload, headers, signal, options.timeoutMs, secrets);
    const location = REDIRECTS_KEEPING_POST.has(response.status) ? response.headers.get('location') : null;
    if (location === null || !URL.canParse(location, target)) return response;
    await response.body?.cancel();
    const next = new URL(location, target);
    if (redirects === MAX_REDIRECTS) {
      throw new DeliveryError(
        'network',
        false,
        `POST ${urlOrigin(url)} was redirected more than ${MAX_REDIRECTS} times (last to ${next.origin}): a redirect loop? Check the receiver's URL, and where the receiver (or a proxy before it) redirects it`,
      );
    }
    secrets.push(...urlSecrets(next.href));
    // As fetch does when it follows a redirect: the credentials are not handed on to another origin.
    if (next.origin !== new URL(target).origin) headers = withoutAuthorization(headers);
    target = next.href;
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/** One POST, its redirect handed back; a failure to get an answer becomes a DeliveryError. */
async function post(
  url: string,
  payload: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  timeoutMs: number,
  secrets: ReadonlyArray<string | undefined>,
): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', headers, body: payload, signal, redirect: 'manual' });
  } catch (cause) {
    const where = urlOrigin(url);
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new DeliveryError('timeout', false, `POST ${where} timed out after ${timeoutMs} ms`, { cause });
    }
    throw new DeliveryError('network', false, `POST ${where} failed: ${redactCredentials(networkFailure(cause), secrets)}`, { cause });
  }
}

interface FailureCause {
  message?: string;
  code?: string;
  /** OpenSSL's readable part ("wrong version number"); its message is a raw error-queue line. */
  reason?: string;
  cause?: FailureCause;
}

/**
 * What went wrong under fetch's "fetch failed": the cause's message and code, and what to check
 * when that is clear. The code alone (HPE_INVALID_CONSTANT) and "fetch failed" told nobody what
 * was wrong.
 */
function networkFailure(error: unknown): string {
  const failure = error as FailureCause;
  const cause = failure.cause ?? failure;
  const described = describeCause(cause) || describeCause(failure);
  const hint = cause.code === undefined ? undefined : networkHint(cause.code);
  return hint === undefined ? described : `${described}: ${hint}`;
}

/** The message, with the code after it unless it already names it (`connect ECONNREFUSED …`). */
function describeCause(cause: FailureCause): string {
  const text = cause.reason ?? cause.message ?? '';
  if (cause.code === undefined || text.includes(cause.code)) return text;
  return text === '' ? cause.code : `${text} (${cause.code})`;
}

function networkHint(code: string): string | undefined {
  if (code === 'ECONNREFUSED') return "nothing listens there: check the URL's host and port, and that the receiver is running";
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return "the host name does not resolve: check the URL's host";
  if (code.startsWith('HPE_')) {
    return "the peer does not answer in HTTP: check the URL's port, and whether it should be https:// (an http:// URL pointing at a TLS port gets this)";
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return "the peer does not speak TLS: check the URL's port, and whether it should be http://";
  return undefined;
}

/** The DeliveryError for a non-2xx answer, quoting the start of its body. */
async function answerError(response: Response, url: string, secrets: ReadonlyArray<string | undefined>): Promise<DeliveryError> {
  const where = shownTarget(url, response.url);
  const status = response.status;
  if (status >= 300 && status < 400) return redirectError(response, where);
  // Redacted before it is cut, so a cut cannot leave the start of a secret behind.
  const text = clipText(redactCredentials(await bodyStart(response, ERROR_BODY_BYTES), secrets), 300, '');
  const retryAfterMs = retryAfter(response.headers.get('retry-after'), Date.now());
  const message = `POST ${where} answered HTTP ${status}: ${text}${retryAfterMs === undefined ? '' : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`}`;
  const asked = retryAfterMs === undefined ? undefined : { retryAfterMs };
  if (status === 408) return new DeliveryError('http_408', false, message, asked);
  if (status === 429) return new DeliveryError('http_429', false, message, asked);
  if (status >= 400 && status < 500) return new DeliveryError('http_4xx', true, message);
  return new DeliveryError('http_5xx', false, message, asked);
}

/** The URL's origin, and the origin it was redirected to when that is another one. */
function shownTarget(url: string, answeredUrl: string): string {
  const from = urlOrigin(url);
  const to = urlOrigin(answeredUrl);
  return answeredUrl === '' || to === from ? from : `${from} (redirected to ${to})`;
}

/**
 * A redirect not followed: a 301, 302 or 303 would turn the POST into a GET without the
 * notification (fetch did that, and a 2xx to the GET counted as delivered).
 */
async function redirectError(response: Response, where: string): Promise<DeliveryError> {
  await response.body?.cancel();
  const location = response.headers.get('location');
  const to = location !== null && URL.canParse(location, response.url) ? ` to ${new URL(location, response.url).origin}` : '';
  return new DeliveryError(
    'other',
    false,
    `POST ${where} answered HTTP ${response.status}, a redirect${to} not followed: only a 307 or 308 with a Location keeps the POST and its notification; set the receiver's URL to the address it redirects to`,
  );
}

/**
 * The first `maxBytes` bytes of the body as text (less when it ends or breaks sooner), then the
 * rest refused: the connection is closed rather than the body read on.
 */
async function bodyStart(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  // `stream: true` holds back a character cut at the end instead of writing U+FFFD for it.
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  try {
    while (read < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const wanted = value.subarray(0, maxBytes - read);
      text += decoder.decode(wanted, { stream: true });
      read += wanted.byteLength;
    }
  } catch {
    // The body broke off (reset, timeout): what came before it is still worth quoting.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
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
