/** GET/POST /login and POST /logout. */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.js';
import { endSession, startSession } from '../session.js';
import { checkLogin } from '../users.js';

interface LoginBody {
  name?: string;
  password?: string;
}

/** Sign-in attempts one address may make for one name in `LOGIN_WINDOW` (password guessing). */
export const LOGIN_ATTEMPTS = 10;
export const LOGIN_WINDOW = '5 minutes';

const loginLimit = {
  max: LOGIN_ATTEMPTS,
  timeWindow: LOGIN_WINDOW,
  // After the body is parsed: the key is the address and the name tried.
  hook: 'preHandler' as const,
  keyGenerator: (request: { ip: string; body?: unknown }): string => `${request.ip}|${String((request.body as LoginBody | undefined)?.name ?? '')}`,
  errorResponseBuilder: (_request: unknown, context: { after: string }) => ({
    statusCode: 429,
    message: `Too many sign-in attempts for this name from your address: try again in ${context.after}.`,
  }),
};

export function registerLoginPages(app: FastifyInstance, context: PageContext): void {
  app.get('/login', async (_request, reply) => reply.view('login.eta', { title: 'Sign in', csrf: reply.generateCsrf(), error: null, name: '' }));

  app.post<{ Body: LoginBody }>('/login', { preHandler: app.csrfProtection, config: { rateLimit: loginLimit } }, async (request, reply) => {
    const name = String(request.body?.name ?? '');
    const password = String(request.body?.password ?? '');
    const user = name === '' || password === '' ? undefined : await context.db.use((conn) => checkLogin(conn, name, password));
    if (user === undefined) {
      return reply.code(401).view('login.eta', { title: 'Sign in', csrf: reply.generateCsrf(), error: 'Wrong name or password.', name });
    }
    startSession(reply, user, context.now(), { secure: context.secureCookies });
    return reply.redirect('/', 303);
  });

  app.post('/logout', { preHandler: app.csrfProtection }, async (_request, reply) => {
    endSession(reply);
    return reply.redirect('/login', 303);
  });
}
