import type { TopLevelSpec } from 'vega-lite';

/**
 * A report as data: a title and a list of blocks. The same document renders to a self-contained
 * HTML file and to a Markdown summary, so both always say the same thing. Every string in a block
 * is plain text; the renderers escape it.
 */
export interface ReportDocument {
  title: string;
  subtitle?: string;
  /** Shown in the footer; pass a fixed value in tests for byte-stable output. */
  generatedAt: Date;
  blocks: ReportBlock[];
}

export type ReportBlock =
  | { type: 'heading'; text: string }
  | { type: 'paragraph'; text: string }
  /** A highlighted box, e.g. the alert that triggered the report. */
  | { type: 'notice'; level: NoticeLevel; title: string; text: string }
  /** Label/value pairs. */
  | { type: 'facts'; items: Array<{ label: string; value: string }> }
  | { type: 'table'; caption?: string; columns: TableColumn[]; rows: string[][]; note?: string }
  /** A Vega-Lite chart, rendered to inline SVG on the server; `alt` describes it in text. */
  | { type: 'chart'; title: string; spec: TopLevelSpec; alt: string };

/**
 * A notice's colour: `alert` red (critical, or something wrong), `warning` amber, `info` blue,
 * `ok` green (e.g. a resolved alert).
 */
export type NoticeLevel = 'alert' | 'warning' | 'info' | 'ok';

export interface TableColumn {
  label: string;
  align?: 'left' | 'right';
}
