/**
 * The EJS layout of the HTML report. A deployer restyles it by keeping their own in the
 * installation's `templates/report.html.ejs` (the server ships this one there), which the host
 * hands to the plugin at start (`readTemplateFile`); without one (no server behind the call, or no
 * such file) this built-in copy is used. Deployer-controlled code: its `report` is the view
 * `index.ts` builds from the model (every value already display text), and everything from the
 * model must be written with `<%= %>` (escaped) only, never `<%-`, but for a chart's drawing
 * `block.svg`, markup the plugin API's `chartSvg` made with every model string escaped already;
 * the contract's render check fails a layout that lets a model string through raw. The page must stay self-contained (inline
 * CSS; the Content-Security-Policy forbids scripts and every fetch) and print well: each section
 * starts a page and a table's header row repeats on each printed page.
 */
export const LAYOUT_FILE = 'report.html.ejs';

/** The built-in layout (the same text as the `templates/report.html.ejs` the server ships). */
export const DEFAULT_LAYOUT = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="DataPunk Audit">
<title><%= report.title %></title>
<style>
@page { size: A4; margin: 18mm 15mm 20mm; }
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 62rem; padding: 2rem 1.5rem; color: #1b1b1b; background: #fff;
  font: 10.5pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
h1, h2, h3, h4, h5, p, dt, dd, th, td, caption, li { unicode-bidi: plaintext; }
p, dd, td, th, caption, li { white-space: pre-wrap; overflow-wrap: anywhere; }
h1 { font-size: 1.9em; margin: 0.2em 0 0.6em; line-height: 1.2; }
h2 { font-size: 1.45em; margin: 0 0 0.6em; border-bottom: 2px solid #1b1b1b; padding-bottom: 0.15em; }
h3 { font-size: 1.2em; margin: 1.2em 0 0.4em; }
h4 { font-size: 1.05em; margin: 1em 0 0.35em; }
h5 { font-size: 1em; margin: 0.9em 0 0.3em; font-style: italic; }
h3, h4, h5 { break-after: avoid; page-break-after: avoid; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.8em; color: #555; margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1.2em; margin: 0.6em 0 1.2em; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.integrity { border: 1px solid #1b1b1b; padding: 0.8em 1em; margin: 1.5em 0; break-inside: avoid; page-break-inside: avoid; }
.integrity h2 { font-size: 1.1em; border: 0; margin: 0; padding: 0; }
.integrity dd { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
.integrity p { margin: 0; font-size: 0.9em; color: #444; }
nav ol { padding-left: 1.4em; }
a { color: inherit; }
.report-section { break-before: page; page-break-before: always; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1.4em; font-size: 0.86em; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #c4c4c4; padding: 0.25em 0.45em; vertical-align: top; text-align: start; }
th { background: #eee; font-weight: 600; }
caption { caption-side: top; text-align: start; font-weight: 600; padding: 0 0 0.3em; }
.align-right { text-align: right; }
.align-center { text-align: center; }
.empty { color: #555; font-style: italic; }
figure.chart { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0.4em 1.5em; margin: 0.6em 0 1.4em; }
figure.chart svg { flex: 1 1 28rem; max-width: 40rem; height: auto; break-inside: avoid; page-break-inside: avoid; }
figure.chart table { flex: 1 1 14rem; width: auto; margin: 0; }
.finding { border-left: 4px solid #777; padding: 0.4em 0.9em; margin: 0.9em 0; break-inside: avoid; page-break-inside: avoid; }
.finding h4 { margin-top: 0.2em; }
.finding dl.facts { margin: 0.3em 0 0.5em; }
.status-ok { border-left-color: #2e7d32; }
.status-partial { border-left-color: #ed8c00; }
.status-bad { border-left-color: #c62828; }
.events { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85em; }
footer { margin-top: 2em; border-top: 1px solid #c4c4c4; padding-top: 0.4em; font-size: 0.8em; color: #555; }
@media print {
  body { max-width: none; padding: 0; }
  a { text-decoration: none; }
}
</style>
<%_ if (report.theme.primary) { _%>
<style>
h1, h2, h3, .integrity h2 { color: <%= report.theme.primary %>; }
h2, .integrity { border-color: <%= report.theme.primary %>; }
</style>
<%_ } _%>
<%_ if (report.theme.accent) { _%>
<style>
th { background: <%= report.theme.accent %>; color: <%= report.theme.accentText %>; }
</style>
<%_ } _%>
</head>
<body>
<header>
<p class="kicker">DataPunk Audit report</p>
<h1><%= report.title %></h1>
<%_ if (report.metadata.length) { _%>
<dl class="facts metadata">
<%_ for (const item of report.metadata) { _%>
<dt><%= item.key %></dt><dd><%= item.value %></dd>
<%_ } _%>
</dl>
<%_ } _%>
<section class="integrity" aria-labelledby="integrity">
<h2 id="integrity">Integrity</h2>
<dl class="facts integrity-stamp">
<%_ for (const item of report.integrity) { _%>
<dt><%= item.key %></dt><dd><%= item.value %></dd>
<%_ } _%>
</dl>
<p>Verify the report against the audit chain: the chain head above must be in the tenant's chain, and the checkpoint signature must verify with the named key.</p>
</section>
<%_ if (report.sections.length) { _%>
<nav aria-label="Contents">
<h2>Contents</h2>
<ol>
<%_ for (const section of report.sections) { _%>
<li><a href="#<%= section.anchor %>"><%= section.title %></a></li>
<%_ } _%>
</ol>
</nav>
<%_ } _%>
</header>
<main>
<%_ for (const section of report.sections) { _%>
<section class="report-section" id="<%= section.anchor %>">
<h2><%= section.title %></h2>
<%_ for (const block of section.blocks) { _%>
<%_ if (block.type === 'heading' && block.level === 1) { _%>
<h3><%= block.text %></h3>
<%_ } else if (block.type === 'heading' && block.level === 2) { _%>
<h4><%= block.text %></h4>
<%_ } else if (block.type === 'heading') { _%>
<h5><%= block.text %></h5>
<%_ } else if (block.type === 'paragraph') { _%>
<p><%= block.text %></p>
<%_ } else if (block.type === 'keyValue') { _%>
<dl class="facts">
<%_ for (const item of block.items) { _%>
<dt><%= item.key %></dt><dd><%= item.value %></dd>
<%_ } _%>
</dl>
<%_ } else if (block.type === 'table') { _%>
<%_ if (block.svg !== null) { _%>
<figure class="chart">
<%- block.svg %>
<%_ } _%>
<table class="<%= block.className %>">
<%_ if (block.caption !== null) { _%>
<caption><%= block.caption %></caption>
<%_ } _%>
<thead>
<tr><%_ for (const column of block.columns) { _%><th scope="col" class="<%= column.className %>"><%= column.title %></th><%_ } _%></tr>
</thead>
<tbody>
<%_ for (const row of block.rows) { _%>
<tr><%_ for (const cell of row) { _%><td class="<%= cell.className %>"><%= cell.text %></td><%_ } _%></tr>
<%_ } _%>
</tbody>
</table>
<%_ if (!block.rows.length) { _%>
<p class="empty">No rows.</p>
<%_ } _%>
<%_ if (block.svg !== null) { _%>
</figure>
<%_ } _%>
<%_ } else if (block.type === 'finding') { _%>
<article class="finding <%= block.className %>">
<h4><%= block.title %></h4>
<dl class="facts">
<%_ for (const item of block.facts) { _%>
<dt><%= item.key %></dt><dd><%= item.value %></dd>
<%_ } _%>
</dl>
<p><%= block.text %></p>
<%_ if (block.eventIds.length) { _%>
<p class="events">Events: <%= block.eventIds.join(', ') %></p>
<%_ } _%>
</article>
<%_ } _%>
<%_ } _%>
<%_ if (!section.blocks.length) { _%>
<p class="empty">Nothing to report in this section.</p>
<%_ } _%>
</section>
<%_ } _%>
</main>
<footer><% if (report.footer) { %><%= report.footer %> · <% } %>Generated at <%= report.generatedAt %> from the audit chain of <%= report.tenantId %>, head sequence <%= report.headSequence %>.</footer>
</body>
</html>
`;
