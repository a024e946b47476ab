import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes inline text for Markdown: a backslash before the punctuation that has inline meaning
 * (emphasis, code, links, table cells), and before a leading block marker (`# `, `- `, `+ `); entities for `<`, `>`
 * and `&` so no raw HTML gets through; newlines folded to spaces (a newline would break a table
 * row). Digits and dots stay as they are so numbers read well in the raw file.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => '\\' + c)
    .replace(/^([#+=-])(?=\s|$)/, '\\$1')
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c] ?? c);
}

/** Longest slug before its hash suffix, in UTF-8 bytes (a file name takes at most 255, and holds several slugs). */
const SLUG_BYTES = 60;

/**
 * A file-name-safe slug: lowercase letters (of any script), digits, `_` and `-` only. Two names
 * must not share a report's file: a name with nothing left, or one cut at SLUG_BYTES, ends with
 * a hash of the whole name. Queue names such as `日本語サポート` and `日本` were both `x`, and
 * `Ñandú` was `and`, so one queue's report overwrote another's.
 */
export function slug(text: string): string {
  const cleaned = cleanSlug(text);
  return cleaned !== '' && Buffer.byteLength(cleaned) <= SLUG_BYTES ? cleaned : hashedSlug(cleaned, text);
}

/**
 * The slug of a name that comes from the data (a queue, a channel, a customer id): those are
 * case-sensitive and may differ only in punctuation (`Sales Desk`, `sales-desk` and `SALES DESK`
 * are three queues, and all three were `sales-desk`, so their reports overwrote each other). A
 * slug that is not the name itself ends with a hash of the name.
 */
export function dataSlug(text: string): string {
  const cleaned = cleanSlug(text);
  return cleaned === text && Buffer.byteLength(cleaned) <= SLUG_BYTES ? cleaned : hashedSlug(cleaned, text);
}

function cleanSlug(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_-]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

/** `cleaned`, cut at SLUG_BYTES, then a hash of the whole `text` (`x-HASH` when nothing is left). */
function hashedSlug(cleaned: string, text: string): string {
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 8);
  if (cleaned === '') return `x-${hash}`;
  let cut = '';
  for (const character of cleaned) {
    if (Buffer.byteLength(cut + character) > SLUG_BYTES) break;
    cut += character;
  }
  return `${cut}-${hash}`;
}

/** An ISO instant usable in file names on every OS (no colons): 2026-01-05T10-15-00Z. */
export function fileTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}
