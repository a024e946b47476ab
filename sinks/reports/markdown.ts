import { footerText, type ReportBlock, type ReportDocument } from './document.js';
import { escapeMarkdown as m } from './escape.js';

/**
 * Renders a document to a Markdown summary (for chat, tickets, commit messages). Charts become a
 * line with their description and a pointer to the HTML file, which holds the picture.
 */
export function renderMarkdown(doc: ReportDocument, htmlFileName: string): string {
  const lines = [`# ${m(doc.title)}`, ''];
  if (doc.subtitle !== undefined) lines.push(m(doc.subtitle), '');
  for (const block of doc.blocks) lines.push(...renderBlock(block, htmlFileName), '');
  lines.push(`_${m(footerText(doc))}._`, '');
  return lines.join('\n');
}

function renderBlock(block: ReportBlock, htmlFileName: string): string[] {
  switch (block.type) {
    case 'heading':
      return [`## ${m(block.text)}`];
    case 'paragraph':
      return [m(block.text)];
    case 'notice':
      return [`> **${m(block.title)}**`, `> ${m(block.text)}`];
    case 'facts':
      return block.items.map((i) => `- **${m(i.label)}**: ${m(i.value)}`);
    case 'table': {
      const out: string[] = [];
      if (block.caption !== undefined) out.push(`**${m(block.caption)}**`, '');
      out.push(`| ${block.columns.map((c) => m(c.label)).join(' | ')} |`);
      out.push(`| ${block.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`);
      // Markdown has no colours: a highlighted cell is bold and names its colour.
      const cell = (text: string, colour: string | null | undefined): string => (colour ? `**${m(text)}** (${colour})` : m(text));
      block.rows.forEach((row, r) => out.push(`| ${row.map((text, c) => cell(text, block.highlights?.[r]?.[c])).join(' | ')} |`));
      // A table needs a row to render everywhere; an empty one says so rather than show blank cells.
      if (block.rows.length === 0) out.push(`| ${block.columns.map((_, c) => (c === 0 ? '_none_' : ' ')).join(' | ')} |`);
      if (block.note !== undefined) out.push('', `_${m(block.note)}_`);
      return out;
    }
    case 'chart':
      return [`**${m(block.title)}**: ${m(block.alt)} (chart in ${m(htmlFileName)})`];
  }
}
