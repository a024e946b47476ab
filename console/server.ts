/**
 * The web console: server-rendered pages (fastify, eta templates with auto-escaping) where teams
 * work their cases. Every form works without client-side JavaScript and carries a CSRF token
 * (@fastify/csrf-protection, its secret in a signed cookie); sessions are signed cookies
 * (session.ts); pages send a Content-Security-Policy that allows no script at all.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ConsoleDatabase } from './database.js';
import { registerAlertPages } from './pages/alerts.js';
import { registerCasePages } from './pages/cases.js';
import { registerCustomerPages } from './pages/customers.js';
import { registerOutcomePages } from './pages/outcomes.js';
import { registerReasonPages } from './pages/reasons.js';
import { registerLoginPages } from './pages/login.js';
import { sessionOf } from './session.js';
import { findSessionUser, type ConsoleUser } from './users.js';
import { viewHelpers } from './view-helpers.js';
import { listenError } from '../sinks/listen-port.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user (set on every page but the login page). */
    user?: ConsoleUser;
  }
}

export interface ConsoleServerOptions {
  db: ConsoleDatabase;
  /** External address (no trailing slash): HTTPS there makes the cookies Secure. */
  baseUrl?: string;
  dueSoonMs: number;
  /** Rendered alert reports are served only from under this directory. */
  reportsDir?: string;
  /** Wall clock, epoch ms (overdue is judged against it); injectable for tests. */
  now?: () => number;
  /** Key of the cookie signatures; default a random one per start (everyone signs in again after a restart). */
  cookieSecret?: string;
}

/** Shared by the pages: how they reach the database, the clock and the settings. */
export interface PageContext {
  db: ConsoleDatabase;
  now: () => number;
  dueSoonMs: number;
  secureCookies: boolean;
  reportsDir: string | undefined;
}

/** The templates and stylesheet: beside this file in the source tree, and reached from dist/ too. */
function viewsDir(): string {
  for (const candidate of ['./views/', '../../console/views/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}layout.eta`)) return dir;
  }
  throw new Error('the console templates (console/views) are missing from this installation');
}

const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * A query string or form as one value per key, the last where a key repeats. Every filter and form
 * field of the console is one value; the default parser made a repeated key (`?team=a&team=b`, as a
 * hand-edited link has it) an array, which reached the queries and failed with a 500 and DuckDB's
 * message.
 */
function lastValueOfEachKey(text: string): Record<string, string> {
  const values = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) values[key] = value;
  return values;
}

export async function buildConsole(options: ConsoleServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const views = viewsDir();
  const context: PageContext = {
    db: options.db,
    now,
    dueSoonMs: options.dueSoonMs,
    secureCookies: options.baseUrl?.startsWith('https://') ?? false,
    reportsDir: options.reportsDir,
  };
  const app = Fastify({ logger: false, trustProxy: false, routerOptions: { querystringParser: lastValueOfEachKey } });
  await app.register(fastifyCookie, { secret: options.cookieSecret ?? randomBytes(32).toString('base64url') });
  await app.register(fastifyFormbody, { parser: lastValueOfEachKey });
  await app.register(fastifyCsrf, {
    cookieKey: 'pulse_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: context.secureCookies },
  });
  // Only the routes that ask for it (sign-in) are limited.
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyView, {
    engine: { eta: new Eta({ views, autoEscape: true, cache: true }) },
    templates: views,
    defaultContext: viewHelpers,
  });

  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('Content-Security-Policy', PAGE_CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cache-Control', 'no-store');
  });

  const stylesheet = readFileSync(`${views}style.css`, 'utf8');
  app.get('/style.css', async (_request, reply) => reply.type('text/css').header('Cache-Control', 'max-age=300').send(stylesheet));

  // Every page but the login page needs a signed-in user who still exists and whose password was
  // not reset since they signed in (a reset gives them a new session key).
  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path === '/login' || path === '/style.css') return;
    const session = sessionOf(request, now());
    const user = session === undefined ? undefined : await options.db.use((conn) => findSessionUser(conn, session.name, session.sessionKey));
    if (user === undefined) return reply.redirect('/login', 303);
    request.user = user;
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const csrf = error.code?.startsWith('FST_CSRF') === true;
    const status = csrf ? 403 : (error.statusCode ?? 500);
    const message = csrf
      ? 'The form was refused: it did not carry this console’s security token (CSRF). Reload the page and send it again.'
      : status >= 500
        ? `The console failed: ${error.message}`
        : error.message;
    return renderError(reply, request, status, message);
  });
  app.setNotFoundHandler(async (request, reply) => renderError(reply, request, 404, `There is no page ${request.url.split('?')[0]}.`));

  registerLoginPages(app, context);
  registerCasePages(app, context);
  registerAlertPages(app, context);
  registerCustomerPages(app, context);
  registerReasonPages(app, context);
  registerOutcomePages(app, context);
  return app;
}

export function renderError(reply: FastifyReply, request: FastifyRequest, status: number, message: string): FastifyReply {
  return reply.code(status).view('error.eta', { title: `Error ${status}`, user: request.user, status, message });
}

/** Builds the console and listens; resolves with its address and how to stop it. */
export async function startConsole(options: ConsoleServerOptions & { port: number; host: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await buildConsole(options);
  const url = await app.listen({ port: options.port, host: options.host }).catch((error: unknown) => {
    throw listenError(error, options.port, '--port (console.port)');
  });
  return { url, close: () => app.close() };
}
