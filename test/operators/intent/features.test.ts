import { describe, expect, it } from 'vitest';
import { customerText, featureSlots } from '../../../operators/intent/features.js';

const BUCKETS = 1 << 20;
const slots = (text: string): Set<number> => {
  const out: number[] = [];
  featureSlots(text, BUCKETS, out);
  return new Set(out);
};
/** The slots `text` has that `without` has not. */
const extra = (text: string, without: string): number[] => [...slots(text)].filter((s) => !slots(without).has(s));

describe('intent features', () => {
  it('a negator reaches the next three words of its clause: punctuation ends it', () => {
    // "cancel" three words after "not": its negated feature is there; after a comma it is not.
    const negatedCancel = extra('not want to cancel', 'not want to stop');
    const clauseEnded = slots('not bad, cancel');
    const plainCancel = extra('cancel', 'stop');
    expect(negatedCancel.length).toBeGreaterThan(plainCancel.length);
    const negatedOnly = negatedCancel.filter((s) => !plainCancel.includes(s) && !slots('want to cancel').has(s));
    expect(negatedOnly.length).toBeGreaterThan(0);
    for (const s of negatedOnly) expect(clauseEnded.has(s)).toBe(false);
    expect(negatedOnly.some((s) => slots('not want to cancel today').has(s))).toBe(true);
  });

  it("leaves out an agent's lines, also after a chat export's time stamp or with the agent's name", () => {
    for (const line of [
      'Agent: would you like to upgrade?',
      '[10:02] Agent: would you like to upgrade?',
      '10:02:15 - Agent: would you like to upgrade?',
      'Agent (Ana): would you like to upgrade?',
    ]) {
      expect(customerText(`${line}\nCustomer: no thanks`).trim()).toBe('customer: no thanks');
    }
    // A customer who speaks of an agent keeps their words.
    expect(customerText('the agent said: I could upgrade')).toContain('upgrade');
  });
});
