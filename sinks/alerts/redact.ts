/**
 * Keeps credentials out of what the outbox stores (`pulse_outbox.last_error`) and what people see
 * (`pulse outbox list`, logs). Delivery errors quote receivers' replies, and a reply may echo the
 * request: its Authorization header, the URL with its token, a key. Known secret values are
 * replaced wherever they occur; text that has the shape of a credential is replaced too, so a
 * secret the code does not know about (a proxy's cookie, another system's key) is not stored
 * either.
 */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for: they would match ordinary text. */
const MIN_SECRET_LENGTH = 4;

/**
 * A name whose value is a credential: it is, or ends with, one of these words (`Authorization`,
 * `X-Api-Key`, `client_secret`, `refresh_token`, `DB_PASSWORD`). Words such as `code` or `key`
 * alone are credentials only as URL query parameters (`?key=`, `?code=`), where they usually are.
 */
const CREDENTIAL_NAME =
  /(?:^|[_.-])(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|signature|cookie|authorization|session[_-]?id|jwt)$/i;
const CREDENTIAL_QUERY_NAME = /^(?:auth|key|code|sig|pass|session|access|apikey)$/i;

const isCredentialName = (name: string): boolean => CREDENTIAL_NAME.test(name);
const isCredentialQueryName = (name: string): boolean => CREDENTIAL_NAME.test(name) || CREDENTIAL_QUERY_NAME.test(name);

const PATTERNS: ReadonlyArray<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // user:password@ (or a bare user@) in a URL
  [/([a-z][a-z0-9+.-]*:\/\/)[^/\s@"'<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  // ?token=... &sig=... in a URL or a form body
  [/([?&;])([\w.-]+)=([^&\s"'<>#]*)/g, (m, sep, name) => (isCredentialQueryName(name!) ? `${sep}${name}=${REDACTED}` : m)],
  // Authorization: Bearer ..., "api_key": "...", password=...
  [
    /(["']?)([\w.-]+)\1(\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;}<>]+/gi,
    (m, quote, name, separator) => (isCredentialName(name!) ? `${quote}${name}${quote}${separator}${REDACTED}` : m),
  ],
  // a bare scheme and token: "Bearer abc...", "Basic dXNlcjpw..."
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // well-known key shapes: Slack tokens and webhook paths, Stripe-style, GitHub, AWS access keys
  [/\bxox[a-z]-[A-Za-z0-9-]+/g, () => REDACTED],
  [/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/gi, (_m, prefix) => `${prefix}${REDACTED}`],
  [/\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]+/g, () => REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, () => REDACTED],
  [/\bAKIA[0-9A-Z]{16}\b/g, () => REDACTED],
];

/** `text` with every known secret and every credential-looking value replaced by `[redacted]`. */
export function redactCredentials(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  const known = secrets.filter((s): s is string => s !== undefined && s.length >= MIN_SECRET_LENGTH);
  // Longest first, so a URL is replaced whole before the token inside it.
  for (const secret of known.sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace as (match: string, ...groups: unknown[]) => string);
  return out;
}

/** A URL as it may be shown: scheme, host and port only (paths and queries can hold tokens). */
export function urlOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid url)';
  }
}

/** Why a receiver URL may not be written in the job YAML as it is, or undefined when it may. */
export function credentialInUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.username !== '' || u.password !== '') return 'it carries a user name and password (user:password@)';
  const keys = [...u.searchParams.keys()].filter(isCredentialQueryName);
  if (keys.length > 0) return `its query carries a credential (${keys.map((k) => `${k}=`).join(', ')})`;
  return undefined;
}
