// 未诉先办: the hotspots of a period over whistles, reports and 12345 tickets,
// per street × category × month (Beijing), with the month-on-month trend.
// Supervisors filter by district, street and category (a district supervisor
// within its district); a street sees its own street. The server decides the
// scope; the pickers only offer what it would allow. The trend is drawn as
// plain SVG: the whole selection, or the pair a row picks.
import { api, categories, streets, districts, byKey } from './api.js';
import { nameOf, pageWords } from './i18n.js';
import { esc, toastError } from './ui.js';
import { now as serverNow, sync } from './clock.js';

const words = {
  zh: {
    title: '未诉先办 · 高频问题', filters: '筛选', from: '起始月份', to: '截止月份', district: '区', street: '街道', category: '类别',
    all: '全部', cityWide: '全市', order: '排序', byTotal: '按总量', byRising: '按上升幅度', apply: '查询',
    whistles: '哨单', reports: '上报', tickets: '12345 工单', total: '诉求合计', last: '末月', change: '环比',
    trend: '月度趋势', trendOf: '月度趋势 · {what}', selection: '当前范围', showTrend: '看趋势', rank: '名次',
    pairs: '共 {n} 个“街道 × 类别”，显示前 {shown} 个', none: '该时段没有诉求。',
    rule: '口径：按北京时间自然月统计。诉求合计 = 上报（网格员、居民、街道）+ 12345 工单 + 未由上报或工单转来的哨单，同一诉求不重复计；环比为与上月合计之差。',
    chart: '月度诉求量折线图',
  },
  en: {
    title: 'Hotspots (address before complaint)', filters: 'Filters', from: 'From month', to: 'To month', district: 'District', street: 'Street', category: 'Category',
    all: 'All', cityWide: 'Whole city', order: 'Order', byTotal: 'Most appeals', byRising: 'Steepest rise', apply: 'Show',
    whistles: 'Whistles', reports: 'Reports', tickets: '12345 tickets', total: 'Appeals', last: 'Last month', change: 'Change',
    trend: 'Monthly trend', trendOf: 'Monthly trend · {what}', selection: 'whole selection', showTrend: 'Trend', rank: '#',
    pairs: '{n} street × category pairs, top {shown} shown', none: 'No appeals in this period.',
    rule: 'Beijing calendar months. Appeals = reports (grid workers, residents, streets) + 12345 tickets + whistles no report or ticket led to, each counted once; change is against the month before.',
    chart: 'Monthly appeals line chart',
  },
};
const { w, both } = pageWords(words);

const SERIES = [['total', '#b3261e'], ['whistles', '#1f5fa8'], ['reports', '#2e7d32'], ['tickets', '#7a4100']];

export async function render(root, who) {
  const city = who.role !== 'street' && !who.district;
  const [cats, dists, sts] = await Promise.all([
    categories().then((c) => byKey(c)), districts().then((d) => byKey(d, 'id')),
    streets(who.role === 'street' ? who.district || '' : who.district || ''), sync(),
  ]);
  const stBy = byKey(sts, 'id');
  const month = (offset) => {
    const d = new Date(serverNow() + 8 * 3600e3);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)).toISOString().slice(0, 7);
  };
  const opt = (v, label, sel) => `<option value="${esc(v)}"${sel ? ' selected' : ''}>${esc(label)}</option>`;
  const scope = who.role === 'street' ? nameOf(stBy[who.street], who.street)
    : who.district ? nameOf(dists[who.district], who.district) : w('cityWide');
  root.innerHTML = `<section class="hotspots" aria-labelledby="hs-h">
    <h1 id="hs-h">${esc(both('title'))} · ${esc(scope)}</h1>
    <form id="hs-form" class="card row" aria-label="${esc(w('filters'))}">
      <div class="stack"><label for="hs-from">${esc(w('from'))}</label><input id="hs-from" name="from_month" type="month" value="${month(-5)}" required></div>
      <div class="stack"><label for="hs-to">${esc(w('to'))}</label><input id="hs-to" name="to_month" type="month" value="${month(0)}" required></div>
      ${city ? `<div class="stack"><label for="hs-district">${esc(w('district'))}</label><select id="hs-district" name="district">${opt('', w('all'))}
        ${Object.values(dists).map((d) => opt(d.id, nameOf(d))).join('')}</select></div>` : ''}
      ${who.role === 'street' ? '' : `<div class="stack"><label for="hs-street">${esc(w('street'))}</label><select id="hs-street" name="street"></select></div>`}
      <div class="stack"><label for="hs-category">${esc(w('category'))}</label><select id="hs-category" name="category">${opt('', w('all'))}
        ${Object.values(cats).map((c) => opt(c.code, nameOf(c))).join('')}</select></div>
      <div class="stack"><label for="hs-order">${esc(w('order'))}</label><select id="hs-order" name="order_by">${opt('TOTAL', w('byTotal'))}${opt('RISING', w('byRising'))}</select></div>
      <button type="submit" class="primary">${esc(w('apply'))}</button>
    </form>
    <div class="kpis" id="hs-kpis" aria-live="polite"></div>
    <div class="cols wide">
      <section class="card" aria-labelledby="hs-table-h"><h2 id="hs-table-h">${esc(w('title'))}</h2><p id="hs-count" class="hint"></p><div id="hs-table" class="scroll"></div></section>
      <section class="card" aria-labelledby="hs-trend-h"><h2 id="hs-trend-h">${esc(w('trend'))}</h2><div id="hs-chart"></div>
        <p class="hint">${esc(w('rule'))}</p></section>
    </div></section>`;
  const form = root.querySelector('#hs-form');
  const streetPick = form.querySelector('#hs-street');
  const fillStreets = () => {
    if (!streetPick) return;
    const d = form.querySelector('#hs-district')?.value || who.district || '';
    streetPick.innerHTML = opt('', w('all')) + sts.filter((s) => !d || s.district_id === d || String(s.id).startsWith(d))
      .map((s) => opt(s.id, nameOf(s))).join('');
  };
  fillStreets();
  form.querySelector('#hs-district')?.addEventListener('change', fillStreets);

  let answer = null;
  const label = (p) => `${nameOf(stBy[p.street_id], p.street_name || p.street_id)} · ${nameOf(cats[p.category], p.category_name || p.category)}`;
  async function load() {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, String(v));
    q.set('limit', '50');
    let got;
    try {
      got = await api(`/v1/reports/hotspots:analyze?${q}`);
    } catch (err) {
      if (form.isConnected) toastError(err);
      return;
    }
    // The user may have left the page while the answer was on its way.
    if (!form.isConnected) return;
    answer = got;
    const months = answer.months || [];
    const series = answer.series || [];
    const sum = (k) => series.reduce((n, m) => n + Number(m[k] || 0), 0);
    root.querySelector('#hs-kpis').innerHTML = ['total', 'whistles', 'reports', 'tickets']
      .map((k) => `<div class="kpi" data-kpi="${k}"><span class="kpi-n">${sum(k)}</span><span class="kpi-l">${esc(w(k))}</span></div>`).join('');
    const pairs = answer.pairs || [];
    root.querySelector('#hs-count').textContent = pairs.length ? w('pairs', { n: Number(answer.pair_count || 0), shown: pairs.length }) : '';
    const chg = (n) => (n > 0 ? `<span class="up">↑ +${n}</span>` : n < 0 ? `<span class="down">↓ ${n}</span>` : '0');
    root.querySelector('#hs-table').innerHTML = pairs.length ? `<table class="rank"><thead><tr><th scope="col">${esc(w('rank'))}</th>
      <th scope="col">${esc(w('street'))}</th><th scope="col">${esc(w('category'))}</th><th scope="col">${esc(w('whistles'))}</th>
      <th scope="col">${esc(w('reports'))}</th><th scope="col">${esc(w('tickets'))}</th><th scope="col">${esc(w('total'))}</th>
      <th scope="col">${esc(w('last'))} (${esc(months.at(-1) || '')})</th><th scope="col">${esc(w('change'))}</th><th scope="col"><span class="sr-only">${esc(w('trend'))}</span></th></tr></thead><tbody>
      ${pairs.map((p, i) => `<tr data-street="${esc(p.street_id)}" data-category="${esc(p.category)}"><td>${i + 1}</td>
        <th scope="row">${esc(nameOf(stBy[p.street_id], p.street_name || p.street_id))}</th><td>${esc(nameOf(cats[p.category], p.category_name || p.category))}</td>
        <td>${Number(p.whistles || 0)}</td><td>${Number(p.reports || 0)}</td><td>${Number(p.tickets || 0)}</td><td><strong>${Number(p.total || 0)}</strong></td>
        <td>${Number(p.last || 0)}</td><td>${chg(Number(p.change || 0))}</td>
        <td class="nowrap"><button type="button" class="ghost" data-pair="${i}" aria-label="${esc(`${w('showTrend')}: ${label(p)}`)}">${esc(w('showTrend'))}</button></td></tr>`).join('')}
      </tbody></table>` : `<p class="muted">${esc(w('none'))}</p>`;
    draw(w('selection'), months, series);
    root.dataset.loaded = String(Date.now());
  }
  function draw(what, months, series) {
    root.querySelector('#hs-trend-h').textContent = w('trendOf', { what });
    root.querySelector('#hs-chart').innerHTML = trendSVG(months, series);
  }
  root.querySelector('#hs-table').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-pair]');
    if (!b || !answer) return;
    const p = answer.pairs[Number(b.dataset.pair)];
    draw(label(p), answer.months || [], p.months || []);
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  await load();
  return () => {};
}

/** A line chart of the months' counts, one line per channel and the total, as plain SVG. */
function trendSVG(months, series) {
  const W = 560, H = 260, L = 40, R = 16, T = 16, B = 56;
  const max = Math.max(1, ...series.flatMap((m) => SERIES.map(([k]) => Number(m[k] || 0))));
  const step = Math.max(1, Math.ceil(max / 4));
  const top = step * Math.ceil(max / step);
  const x = (i) => L + (months.length < 2 ? (W - L - R) / 2 : (i * (W - L - R)) / (months.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#d5dbe1"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  const labels = months.map((m, i) => `<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">${esc(m.slice(2))}</text>`);
  const lines = SERIES.map(([k, colour]) => {
    const pts = series.map((m, i) => `${x(i).toFixed(1)},${y(Number(m[k] || 0)).toFixed(1)}`);
    const dots = series.map((m, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(Number(m[k] || 0)).toFixed(1)}" r="${k === 'total' ? 4 : 3}" fill="${colour}"><title>${esc(`${m.month} ${w(k)} ${Number(m[k] || 0)}`)}</title></circle>`);
    return `<polyline fill="none" stroke="${colour}" stroke-width="${k === 'total' ? 3 : 2}" points="${pts.join(' ')}"/>${dots.join('')}`;
  });
  const totals = series.map((m, i) => `<text x="${x(i)}" y="${y(Number(m.total || 0)) - 8}" text-anchor="middle" font-weight="600" fill="#b3261e">${Number(m.total || 0)}</text>`);
  const legend = SERIES.map(([k, colour], i) => `<g transform="translate(${L + i * 130},${H - 18})"><rect width="12" height="12" y="-10" fill="${colour}"/><text x="16" y="0">${esc(w(k))}</text></g>`);
  const summary = series.map((m) => `${m.month}: ${w('total')} ${Number(m.total || 0)}`).join('; ');
  return `<svg class="trend-svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`${w('chart')}: ${summary}`)}" font-size="12" fill="#333">
    ${grid.join('')}${labels.join('')}${lines.join('')}${totals.join('')}${legend.join('')}</svg>`;
}
