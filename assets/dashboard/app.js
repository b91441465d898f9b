// thinkcap dashboard. Every value reaches the page through textContent or SVG attributes set
// with setAttribute: nothing is ever parsed as HTML, so prompts and tenant names render as text.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const TIERS = ['trivial', 'simple', 'moderate', 'complex', 'deep'];
const MAX_ROWS = 100;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
const fmt = {
  n: (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US')),
  usd: (v) => (v === null || v === undefined ? '–' : '$' + Number(v).toFixed(v < 0.01 ? 6 : 4)),
  j: (v) => (v === null || v === undefined ? '–' : Number(v) >= 1000 ? (v / 1000).toFixed(2) + ' kJ' : Number(v).toFixed(1) + ' J'),
  ms: (v) => (v === null || v === undefined ? '–' : Math.round(v) + ' ms'),
  time: (iso) => new Date(iso).toLocaleTimeString('en-GB'),
};

// A continuation thinkcap made after the upstream answer (the record's followUp).
const FOLLOW_UPS = { continuation: 'continued', rescue: 'rescued', rescue_at_length: 'rescued at length', rescue_at_context: 'rescued at the context end' };
function followUpNote(f) {
  if (!f || !Object.prototype.hasOwnProperty.call(FOLLOW_UPS, f.kind)) return '';
  return ' · ' + FOLLOW_UPS[f.kind] + (f.cut ? ', cut short' : f.failed ? ', failed' : '');
}

function row(r) {
  const tr = el('tr');
  tr.className = String(r.outcome || '').replace(/[^a-z_]/g, '');
  tr.dataset.id = String(r.id);
  // The gateway's request id (Envoy's x-request-id, in its access log) on hover.
  if (r.requestId) tr.title = 'request ' + r.requestId;
  const cells = [
    fmt.time(r.time),
    r.tenant ?? '–',
    r.tier ?? '–',
    r.route ?? '–',
    fmt.n(r.budget),
    fmt.n(r.thinkingTokens),
    fmt.usd(r.costUsd),
    r.energyJ === null ? '–' : fmt.j(r.energyJ) + (r.energySource === 'estimated' ? ' (est.)' : ''),
    fmt.ms(r.latencyMs),
    r.outcome + followUpNote(r.followUp),
  ];
  for (const c of cells) tr.appendChild(el('td', c));
  tr.appendChild(el('td', r.preview ?? '', 'prompt'));
  return tr;
}

function addRows(records, atTop) {
  const body = document.querySelector('#feed tbody');
  for (const r of records) {
    if (body.querySelector(`tr[data-id="${CSS.escape(String(r.id))}"]`)) continue;
    if (atTop) body.insertBefore(row(r), body.firstChild);
    else body.appendChild(row(r));
  }
  while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
}

function bars(svg, labels, values) {
  svg.replaceChildren();
  const max = Math.max(1, ...values);
  const w = 300 / labels.length;
  labels.forEach((l, i) => {
    const h = (values[i] / max) * 90;
    svg.appendChild(svgEl('rect', { class: 'bar', x: i * w + 6, y: 100 - h, width: w - 12, height: h }));
    svg.appendChild(svgEl('text', { x: i * w + w / 2, y: 112, 'text-anchor': 'middle' }, l));
    svg.appendChild(svgEl('text', { x: i * w + w / 2, y: 96 - h, 'text-anchor': 'middle' }, values[i]));
  });
}

function line(svg, points, emptyText) {
  svg.replaceChildren();
  const vals = points.filter((p) => p !== null && p !== undefined);
  if (vals.length === 0) {
    svg.appendChild(svgEl('text', { x: 150, y: 60, 'text-anchor': 'middle' }, emptyText));
    return;
  }
  const max = Math.max(...vals) || 1;
  const step = points.length > 1 ? 300 / (points.length - 1) : 0;
  let d = '';
  points.forEach((p, i) => {
    if (p === null || p === undefined) return;
    d += (d ? ' L' : 'M') + (i * step).toFixed(1) + ' ' + (105 - (p / max) * 95).toFixed(1);
  });
  svg.appendChild(svgEl('path', { class: 'line', d }));
  points.forEach((p, i) => {
    if (p === null || p === undefined) return;
    svg.appendChild(svgEl('circle', { class: 'dot', cx: (i * step).toFixed(1), cy: (105 - (p / max) * 95).toFixed(1), r: 2 }));
  });
  svg.appendChild(svgEl('text', { x: 298, y: 10, 'text-anchor': 'end' }, 'max ' + max.toPrecision(3)));
}

async function refreshStats() {
  const s = await (await fetch('/api/stats')).json();
  const t = s.totals;
  document.getElementById('t-requests').textContent = fmt.n(t.requests);
  document.getElementById('t-thinking').textContent = fmt.n(t.thinkingUsed) + ' / ' + fmt.n(t.thinkingBudgeted);
  document.getElementById('t-saved').textContent = fmt.n(t.thinkingSaved);
  document.getElementById('t-cost').textContent = fmt.usd(t.costUsd);
  document.getElementById('t-energy').textContent = fmt.j(t.energyJ);
  document.getElementById('t-refused').textContent = fmt.n(t.refused);
  bars(document.getElementById('c-tiers'), TIERS, TIERS.map((x) => t.byTier[x] || 0));
  line(document.getElementById('c-power'), s.series.map((p) => p.powerW), 'no GPU source');
  line(document.getElementById('c-energy'), s.series.map((p) => p.energyJ), 'no energy yet');
  line(document.getElementById('c-cost'), s.series.map((p) => p.costUsd), 'no cost yet');
}

async function start() {
  const status = document.getElementById('status');
  const h = await (await fetch('/api/history?limit=' + MAX_ROWS)).json();
  addRows(h.requests, false);
  await refreshStats();
  setInterval(() => refreshStats().catch(() => {}), 2000);
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => {
    status.textContent = 'live';
    status.classList.add('live');
  });
  es.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.classList.remove('live');
  });
  es.addEventListener('request', (ev) => addRows([JSON.parse(ev.data)], true));
}

start().catch((err) => {
  document.getElementById('status').textContent = 'error: ' + err.message;
});
