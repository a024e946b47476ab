/** GET/POST /login and POST /logout. */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.js';
import { endSession, startSession } from '../session.js';
import { checkLogin } from '../users.js';

interface LoginBody {
  name?: string;
  password?: string;
}

export function registerLoginPages(app: FastifyInstance, context: PageContext): void {
  app.get('/login', async (_request, reply) => reply.view('login.eta', { title: 'Sign in', csrf: reply.generateCsrf(), error: null, name: '' }));

  app.post<{ Body: LoginBody }>('/login', { preHandler: app.csrfProtection }, async (request, reply) => {
    const name = String(request.body?.name ?? '');
    const password = String(request.body?.password ?? '');
    const user = name === '' || password === '' ? undefined : await context.db.use((conn) => checkLogin(conn, name, password));
    if (user === undefined) {
      return reply.code(401).view('login.eta', { title: 'Sign in', csrf: reply.generateCsrf(), error: 'Wrong name or password.', name });
    }
    startSession(reply, user.name, context.now(), { secure: context.secureCookies });
    return reply.redirect('/', 303);
  });

  app.post('/logout', { preHandler: app.csrfProtection }, async (_request, reply) => {
    endSession(reply);
    return reply.redirect('/login', 303);
  });
}
