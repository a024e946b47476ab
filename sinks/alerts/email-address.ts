import addressparser from 'nodemailer/lib/addressparser';
import { parse as parseMailbox } from 'smtp-address-parser';

/**
 * smtp-address-parser's rules beyond RFC 5321's grammar, for addresses on the public Internet. A
 * relay (the receiver's smarthost) takes `ops@localhost` or `ops@mail.lan` too, so they are not
 * refused here.
 */
const DOMAIN_POLICY = new Set(['domain not fully qualified', 'top level domain label too short']);

function isMailbox(address: string): boolean {
  try {
    parseMailbox(address);
    return true;
  } catch (e) {
    return e instanceof Error && DOMAIN_POLICY.has(e.message);
  }
}

/**
 * What is wrong with `text` as an e-mail receiver's `to` entry or (`sender: true`) its `from`, or
 * undefined when nothing is. It is read as nodemailer, which sends it, reads it: one or more
 * addresses with or without a display name (`Ops Desk <ops@example.com>`, `a@example.com,
 * b@example.com`), and each address must be one by RFC 5321, with UTF-8 as RFC 6531 allows
 * (`zoë@example.com`). nodemailer itself drops what is not an address, and the mail then fails at
 * every send ("No recipients defined").
 */
export function emailAddressProblem(text: string, sender = false): string | undefined {
  const mailboxes = addressparser(text, { flatten: true });
  const quoted = JSON.stringify(text);
  if (sender && mailboxes.length > 1) return `${quoted} is more than one address; a mail has one sender`;
  const bad = mailboxes.length === 0 ? { address: '', name: '' } : mailboxes.find((m) => !isMailbox(m.address));
  if (bad === undefined) return undefined;
  // A part without an address is a bare name (`not-an-address`): that is what to show.
  const part = bad.address || bad.name || text;
  return part === text ? `${quoted} is not an e-mail address` : `${JSON.stringify(part)} in ${quoted} is not an e-mail address`;
}
