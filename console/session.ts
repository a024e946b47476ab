/**
 * Login sessions in a signed cookie (@fastify/cookie's HMAC signature): the cookie carries the user
 * name, an expiry and the user's session key (console_users.session_key), nothing secret. The
 * user is read from the database on every request (server.ts), so a change of team or role takes
 * effect at once, and a removed user, or one whose password was reset (a new session key), is
 * signed out at their next request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'pulse_session';
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;

export interface CookieSettings {
  /** Secure cookies when the console is reached over HTTPS (its base URL). */
  secure: boolean;
}

export function startSession(reply: FastifyReply, user: { name: string; sessionKey: string }, now: number, settings: CookieSettings): void {
  reply.setCookie(SESSION_COOKIE, `${now + SESSION_TTL_MS}:${user.sessionKey}:${user.name}`, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** Whose session a cookie is, and the session key it carries. */
export interface Session {
  name: string;
  sessionKey: string;
}

/**
 * The session of the request, when its cookie is present, genuine and not expired. The value is
 * `EXPIRY:KEY:NAME`: a key has no colon (base64url), a user name none either (console/users.ts).
 */
export function sessionOf(request: FastifyRequest, now: number): Session | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (raw === undefined) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  const [expiry, sessionKey, name, ...rest] = unsigned.value.split(':');
  const expires = Number(expiry);
  if (name === undefined || sessionKey === undefined || rest.length > 0 || !Number.isFinite(expires) || expires <= now) return undefined;
  return { name, sessionKey };
}
