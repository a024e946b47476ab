/**
 * Login sessions in a signed cookie (@fastify/cookie's HMAC signature): the cookie carries the user
 * name and an expiry, nothing secret; the user's team and role are read from the database on every
 * request, so a change to them (or a removed user) takes effect at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'pulse_session';
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;

export interface CookieSettings {
  /** Secure cookies when the console is reached over HTTPS (its base URL). */
  secure: boolean;
}

export function startSession(reply: FastifyReply, name: string, now: number, settings: CookieSettings): void {
  reply.setCookie(SESSION_COOKIE, `${now + SESSION_TTL_MS}:${name}`, {
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

/** The signed-in user's name, when the cookie is present, genuine and not expired. */
export function sessionUser(request: FastifyRequest, now: number): string | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (raw === undefined) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  const colon = unsigned.value.indexOf(':');
  const expires = Number(unsigned.value.slice(0, colon));
  if (colon < 0 || !Number.isFinite(expires) || expires <= now) return undefined;
  return unsigned.value.slice(colon + 1);
}
