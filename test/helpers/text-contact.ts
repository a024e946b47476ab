/**
 * An answered e-mail contact of the sales queue carrying `text`, as an NDJSON line: what the intent
 * trigger reads. Each call of `textContacts()` numbers its own contacts (event ids c1, c2, ...).
 */
export function textContacts(): (customer: string, at: number, text: string) => string {
  let n = 0;
  return (customer, at, text) => {
    n++;
    return JSON.stringify({
      type: 'contact',
      event_id: `c${n}`,
      customer_id: customer,
      contact_id: `K${n}`,
      channel: 'email',
      queue: 'sales',
      reason: 'ENQUIRY',
      agent_id: 'A1',
      queued_at: at,
      answered_at: at + 60_000,
      ended_at: at + 300_000,
      hold_seconds: 0,
      acw_seconds: 10,
      disposition: 'resolved',
      text,
    });
  };
}
