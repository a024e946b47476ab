import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generate } from '../../../sources/generator/index.js';

describe('generator texts with known intents (--intent-texts)', () => {
  test('only texts change, and the ground truth lists every text contact with its intent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-gen-intent-'));
    const base = { customers: 300, days: 7, seed: 11 };
    await generate({ ...base, out: join(dir, 'plain.ndjson') });
    await generate({ ...base, out: join(dir, 'intent.ndjson'), intentTexts: true });
    const strip = (line: string): string => line.replace(/,"text":"(?:[^"\\]|\\.)*"/, '');
    const plain = readFileSync(join(dir, 'plain.ndjson'), 'utf8').split('\n');
    const withIntent = readFileSync(join(dir, 'intent.ndjson'), 'utf8').split('\n');
    expect(withIntent.map(strip)).toEqual(plain.map(strip));

    const truth = JSON.parse(readFileSync(join(dir, 'intent.truth.json'), 'utf8')) as {
      intent_texts: { contacts: Array<{ contact_id: string; customer_id: string; intent: string }> };
    };
    expect(JSON.parse(readFileSync(join(dir, 'plain.truth.json'), 'utf8'))).not.toHaveProperty('intent_texts');
    const listed = new Map(truth.intent_texts.contacts.map((c) => [c.contact_id, c]));
    const textContacts = withIntent
      .filter((l) => l.startsWith('{"type":"contact"') && l.includes('"text"') && !l.includes('"customer_id":null'))
      .map((l) => JSON.parse(l) as { contact_id: string; customer_id: string });
    expect(textContacts.length).toBeGreaterThan(20);
    for (const c of textContacts) expect(listed.get(c.contact_id)?.customer_id).toBe(c.customer_id);
    expect(new Set(truth.intent_texts.contacts.map((c) => c.intent)).size).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
