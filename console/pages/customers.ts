/** GET /customers/:id: one customer's segment, windows, alerts and cases (a member sees their team's, and those escalated to it). */
import type { FastifyInstance } from 'fastify';
import { customerOf, listAlerts, recentWindows } from '../queries.js';
import type { PageContext } from '../server.js';
import { customerCasesFor, teamScope } from './cases.js';

export function registerCustomerPages(app: FastifyInstance, context: PageContext): void {
  app.get<{ Params: { id: string } }>('/customers/:id', async (request, reply) => {
    const user = request.user!;
    const customerId = request.params.id;
    const team = teamScope(user);
    const page = await context.db.use(async (conn) => {
      const alerts = await listAlerts(conn, { customer: customerId, ...team }, 50);
      return {
        alerts,
        // Its team's and those escalated to it for a member, as the case pages let them work.
        cases: await customerCasesFor(conn, user, customerId),
        // The account owner as the customer's latest alert recorded it.
        customer: await customerOf(conn, customerId, alerts.find((a) => a.labels['account_owner'] !== undefined)?.labels['account_owner'] ?? null),
        windows: await recentWindows(conn, customerId, 12),
      };
    });
    return reply.view('customer.eta', { title: `Customer ${customerId}`, user, csrf: reply.generateCsrf(), ...page });
  });
}
