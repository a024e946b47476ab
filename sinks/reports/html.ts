import { footerText, type ReportBlock, type ReportDocument, type TableColumn } from './document.js';
import type { HighlightColour } from './highlight.js';
import { escapeHtml as e } from './escape.js';

/**
 * Renders a document to one self-contained HTML page: inline CSS, charts as inline SVG, no
 * scripts and no external assets, so it opens offline and can be mailed or archived as is.
 * `svgs` holds the rendered chart of each chart block, in block order.
 */
export function renderHtml(doc: ReportDocument, svgs: readonly string[]): string {
  let chart = 0;
  const body = doc.blocks.map((block) => renderBlock(block, block.type === 'chart' ? (svgs[chart++] ?? '') : '')).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${e(doc.title)}</h1>${doc.subtitle === undefined ? '' : `<p class="subtitle">${e(doc.subtitle)}</p>`}</header>
<main>
${body}
</main>
<footer>${e(footerText(doc))}</footer>
</body>
</html>
`;
}

function renderBlock(block: ReportBlock, svg: string): string {
  switch (block.type) {
    case 'heading':
      return `<h2>${e(block.text)}</h2>`;
    case 'paragraph':
      return `<p>${e(block.text)}</p>`;
    case 'notice':
      return `<section class="notice ${block.level}" role="${block.level === 'alert' ? 'alert' : 'note'}"><h2>${e(block.title)}</h2><p>${e(block.text)}</p></section>`;
    case 'facts':
      return `<dl class="facts">${block.items.map((i) => `<dt>${e(i.label)}</dt><dd>${e(i.value)}</dd>`).join('')}</dl>`;
    case 'table':
      return renderTable(block.columns, block.rows, block.caption, block.note, block.highlights);
    case 'chart':
      // The SVG comes from Vega, which escapes its own text; it is trusted markup here.
      return `<figure class="chart" role="img" aria-label="${e(block.alt)}"><figcaption>${e(block.title)}</figcaption>${svg}</figure>`;
  }
}

function renderTable(columns: TableColumn[], rows: string[][], caption?: string, note?: string, highlights?: Array<Array<HighlightColour | null>>): string {
  const classes = (i: number, colour: HighlightColour | null = null): string => {
    const names = [...(columns[i]?.align === 'right' ? ['num'] : []), ...(colour !== null ? [`hl-${colour}`] : [])];
    return names.length > 0 ? ` class="${names.join(' ')}"` : '';
  };
  const head = columns.map((c, i) => `<th scope="col"${classes(i)}>${e(c.label)}</th>`).join('');
  const body =
    rows.length === 0
      ? `<tr><td colspan="${columns.length}" class="none">none</td></tr>`
      : rows.map((r, ri) => `<tr>${r.map((cell, i) => `<td${classes(i, highlights?.[ri]?.[i] ?? null)}>${e(cell)}</td>`).join('')}</tr>`).join('\n');
  return (
    `<table>${caption === undefined ? '' : `<caption>${e(caption)}</caption>`}<thead><tr>${head}</tr></thead>` +
    `<tbody>\n${body}\n</tbody></table>${note === undefined ? '' : `<p class="note">${e(note)}</p>`}`
  );
}

const CSS = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff}
body{max-width:1000px;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.subtitle{color:#556;margin:0}
.notice{border-left:4px solid #4c78a8;background:#f2f6fb;padding:.5rem 1rem;margin:1rem 0}
.notice.alert{border-color:#c0392b;background:#fdf1f0}.notice.warning{border-color:#d68910;background:#fef5e7}
.notice.ok{border-color:#1e8449;background:#eef8f1}.notice h2{margin-top:.25rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid #dde;padding:.3rem .5rem;text-align:left}
td.none{color:#556;font-style:italic}
th{background:#f5f6f8}.num{text-align:right;font-variant-numeric:tabular-nums}
.note{font-size:.85rem;color:#556}
td.hl-red{background:#f8d7da;color:#721c24}td.hl-amber{background:#fff3cd;color:#856404}
td.hl-green{background:#d4edda;color:#155724}td.hl-blue{background:#d6e9f8;color:#0b3d66}
figure.chart{margin:1rem 0;overflow-x:auto}figure.chart figcaption{font-weight:600;margin-bottom:.25rem}
footer{margin-top:2rem;font-size:.8rem;color:#778}
`.trim();
