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

/** A file-name-safe slug: lowercase letters, digits, `_` and `-` only. */
export function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned.slice(0, 60);
}

/** An ISO instant usable in file names on every OS (no colons): 2026-01-05T10-15-00Z. */
export function fileTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}
