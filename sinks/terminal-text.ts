import stringWidth from 'string-width';

/**
 * Text for a terminal. Values in the tables `pulse` prints (customer ids, notes, errors) come from
 * events and from people; a control character in one would be obeyed by the terminal: an escape
 * sequence can recolour or rewrite the screen, move the cursor over earlier lines, or set the
 * window title, and bidirectional-override characters reorder what is shown. Each is printed as a
 * visible escape instead (`\u001b[31m` stays readable as what it is).
 */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern is for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control and bidi-override character shown as an escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How `renderTable` lays a table out. */
export interface TableLayout {
  /** A line of dashes under the header (the listings of cases, outbox rows, outcomes). */
  underline?: boolean;
  /** Columns of numbers, aligned right. */
  numeric?: readonly boolean[];
}

/**
 * Columns separated by two spaces, each as wide as its widest cell as a terminal shows it (an
 * East Asian wide character takes two columns, a combining mark none: `string-width`); numbers
 * right-aligned; every cell terminal-safe.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, layout: TableLayout = { underline: true }): string {
  const safeRows = rows.map((row) => row.map(terminalSafe));
  const widths = headers.map((h, i) => Math.max(stringWidth(h), ...safeRows.map((r) => stringWidth(r[i] ?? ''))));
  const cell = (text: string, i: number): string => {
    const fill = ' '.repeat(widths[i]! - stringWidth(text));
    return layout.numeric?.[i] ? fill + text : text + fill;
  };
  const line = (cells: readonly string[]): string => cells.map(cell).join('  ').trimEnd();
  const underline = layout.underline ? [line(widths.map((w) => '-'.repeat(w)))] : [];
  return [line(headers), ...underline, ...safeRows.map(line)].join('\n') + '\n';
}

/**
 * A path or value as one word of a POSIX shell command line, for the commands `pulse` prints for a
 * person to copy: as it is when it holds only characters no shell treats specially, else in single
 * quotes (a quote inside as '\''). Written here rather than taken from `shell-quote`, whose quote()
 * escapes each special character with a backslash (`demo\ output/pulse.duckdb` where
 * `'demo output/pulse.duckdb'` reads better), and it is the one function needed.
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
