import { describe, expect, it } from 'vitest';
import { dataSlug, slug } from '../../../sinks/reports/escape.js';

describe('slug (report file names)', () => {
  it('keeps letters of every script and digits, lower-cased, and nothing that leaves the directory', () => {
    expect(slug('queue_10')).toBe('queue_10');
    expect(slug('Billing/EN')).toBe('billing-en');
    expect(slug('../../etc/passwd')).toBe('etc-passwd');
    expect(slug('Support — Français')).toBe('support-français');
    expect(slug('Ñandú')).toBe('ñandú');
    // The same letter written as n + a combining tilde is the same name.
    expect(slug('N\u0303andú')).toBe(slug('Ñandú'));
    expect(slug('日本語サポート')).toBe('日本語サポート');
  });

  it('gives names that would share a file distinct ones: nothing left, or cut at 60 bytes', () => {
    const names = ['', '....', '//', 'a'.repeat(80), `${'a'.repeat(79)}b`, '日本語サポート'.repeat(6), `${'日本語サポート'.repeat(6)}!`];
    const slugs = names.map(slug);
    expect(new Set(slugs).size).toBe(names.length);
    for (const s of slugs) {
      expect(Buffer.byteLength(s)).toBeLessThanOrEqual(60 + 9);
      expect(s).toMatch(/^[\p{L}\p{M}\p{N}_-]+$/u);
    }
    // The same name gives the same slug in every run (report links stay valid).
    expect(slug('a'.repeat(80))).toBe(slugs[3]);
  });

  it('a name from the data keeps its own file when it differs from another only in case or punctuation', () => {
    const queues = ['Sales Desk', 'sales-desk', 'SALES DESK', 'sales desk', 'Ñandú', 'N\u0303andú', 'billing', '日本語サポート'];
    const slugs = queues.map(dataSlug);
    expect(new Set(slugs).size).toBe(queues.length);
    // A name that is its own slug stays as it is; the others keep a readable part before the hash.
    expect(dataSlug('billing')).toBe('billing');
    expect(dataSlug('sales-desk')).toBe('sales-desk');
    expect(dataSlug('日本語サポート')).toBe('日本語サポート');
    expect(dataSlug('Sales Desk')).toMatch(/^sales-desk-[0-9a-f]{8}$/);
    for (const s of slugs) expect(s).toMatch(/^[\p{L}\p{M}\p{N}_-]+$/u);
    expect(dataSlug('Sales Desk')).toBe(slugs[0]);
  });
});
