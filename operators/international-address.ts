import { parse as parseMailbox } from 'smtp-address-parser';

/**
 * Whether `text` is an e-mail address with characters beyond ASCII (RFC 6531: `zoë@example.com`,
 * `用户@例子.广告`), by the SMTPUTF8 grammar of `smtp-address-parser`. ASCII addresses are left
 * to the caller's own pattern: the grammar's parser takes about 100 us an address, so it only
 * sees what that pattern refused.
 */
export function isInternationalAddress(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- the ASCII range is the point
  if (!/[^\x00-\x7f]/.test(text)) return false;
  try {
    parseMailbox(text);
    return true;
  } catch {
    return false;
  }
}
