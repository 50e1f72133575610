// The supervisor's wall screen: at-risk and breached dispatches live, the
// district's streets shaded by open whistles, the departments ranked by
// on-time arrival, the week's trend, and a drill-down to any whistle's
// timeline.
import { api, all, categories, departments, streets, districts, byKey } from './api.js';
import { t, nameOf, getLang } from './i18n.js';
import { esc, toastError, countdownChip, risk, activeClock, downloadCSV } from './ui.js';
import { drawMap, shade } from './map.js';
import { follow } from './live.js';
import { showTimeline } from './timeline.js';

const CLOSED = new Set(['CLOSED', 'CANCELLED']);

export async function render(root, who) {
  const [cats, deps, sts, dists] = await Promise.all([
    categories().then((c) => byKey(c)), departments().then((d) => byKey(d)),
    streets(who.district), districts().then((d) => byKey(d, 'id')),
  ]);
  const stBy = byKey(sts, 'id');
  const scope = who.district ? nameOf(dists[who.district], who.district) : t('signin.cityWide');
  root.innerHTML = `<section class="sup" aria-labelledby="b-h">
    <div class="queue-head"><h1 id="b-h">${esc(t('sup.board'))} · ${esc(scope)}</h1>
      <button type="button" id="csv" class="secondary">${esc(t('sup.export'))}</button></div>
    <div class="kpis" id="kpis" aria-live="polite"></div>
    <div class="cols wide">
      <section class="card" aria-labelledby="risk-h"><h2 id="risk-h">${esc(t('sup.atRisk'))} / ${esc(t('sup.breached'))}</h2><div id="board"></div></section>
      <section class="card" aria-labelledby="map-h"><h2 id="map-h">${esc(t('sup.map'))}</h2>
        <svg id="smap" class="map" role="img" aria-label="${esc(t('sup.map'))}"></svg><p id="map-legend" class="hint"></p></section>
    </div>
    <div class="cols">
      <section class="card" aria-labelledby="rank-h"><h2 id="rank-h">${esc(t('sup.ranking'))}</h2>
        <div id="rank-chart" class="chart" role="img" aria-label="${esc(t('sup.ranking'))}"></div><div id="rank-table"></div></section>
      <section class="card" aria-labelledby="trend-h"><h2 id="trend-h">${esc(t('sup.trend'))}</h2>
        <div id="trend-chart" class="chart" role="img" aria-label="${esc(t('sup.trend'))}"></div></section>
    </div></section>`;

  let dispatches = [];
  const charts = {};
  const echartsReady = loadECharts().catch(() => null);
  const chart = async (id, option) => {
    const ec = await echartsReady;
    const el = root.querySelector(`#${id}`);
    if (!ec || !el) return;
    charts[id] ??= ec.init(el);
    charts[id].setOption(option, true);
  };
  const onResize = () => Object.values(charts).forEach((c) => c.resize());
  window.addEventListener('resize', onResize);

  root.querySelector('#board').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-timeline]');
    if (b) showTimeline(b.dataset.timeline);
  });
  root.querySelector('#csv').addEventListener('click', () => {
    const rows = [['dispatch_id', 'whistle_id', 'department', 'street_id', 'category', 'status', 'deadline', 'risk', 'breaches']];
    for (const d of dispatches) rows.push([d.id, d.whistle_id, d.department, d.street_id, d.category, d.status, activeClock(d)?.deadline || '', risk(d), (d.breaches || []).join(' ')]);
    downloadCSV(`dispatches-${who.district || 'city'}.csv`, rows);
  });

  async function refresh() {
    if (!alive) return;
    try {
      const from = new Date(Date.now() - 30 * 864e5).toISOString(), to = new Date(Date.now() + 864e5).toISOString();
      const [ds, ws, report] = await Promise.all([
        all('/v1/dispatches', 'dispatches'),
        all('/v1/whistles', 'whistles', { pageSize: 100, maxPages: 10 }),
        api(`/v1/reports/sla?${who.district ? `district=${who.district}&` : ''}from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`).catch(() => null),
      ]);
      if (!alive) return;
      dispatches = ds;
      const now = Date.now();
      const levels = ds.map((d) => risk(d, now));
      const atRisk = levels.filter((l) => l === 'warn').length, late = levels.filter((l) => l === 'late').length;
      const openW = ws.filter((w) => !CLOSED.has(w.status));
      root.querySelector('#kpis').innerHTML = [
        ['open', t('sup.open'), ds.length], ['warn', t('sup.atRisk'), atRisk], ['late', t('sup.breached'), late],
        ['whistles', t('sup.openWhistles'), openW.length],
      ].map(([k, label, n]) => `<div class="kpi kpi-${k}" data-kpi="${k}"><span class="kpi-n">${n}</span><span class="kpi-l">${esc(label)}</span></div>`).join('');

      const board = ds.filter((d, i) => levels[i] === 'warn' || levels[i] === 'late')
        .sort((a, b) => Date.parse(activeClock(a).deadline) - Date.parse(activeClock(b).deadline));
      root.querySelector('#board').innerHTML = board.length ? `<table class="board"><thead><tr>
          <th scope="col">${esc(t('department'))}</th><th scope="col">${esc(t('street'))}</th><th scope="col">${esc(t('category'))}</th>
          <th scope="col">${esc(t('status'))}</th><th scope="col">${esc(t('sup.deadline'))}</th><th scope="col"><span class="sr-only">${esc(t('timeline'))}</span></th></tr></thead><tbody>
        ${board.map((d) => `<tr class="risk-${risk(d, now)}" data-dispatch="${esc(d.id)}"><td>${esc(nameOf(deps[d.department], d.department))}</td>
          <td>${esc(nameOf(stBy[d.street_id], d.street_id))}</td><td>${esc(nameOf(cats[d.category], d.category))}</td>
          <td><span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></td><td>${countdownChip(d)}</td>
          <td><button type="button" class="ghost" data-timeline="${esc(d.whistle_id)}">${esc(t('timeline'))}</button></td></tr>`).join('')}
        </tbody></table>` : `<p class="muted">${esc(t('sup.noRisk'))}</p>`;

      const perStreet = {};
      for (const w of openW) perStreet[w.street_id] = (perStreet[w.street_id] || 0) + 1;
      const max = Math.max(1, ...Object.values(perStreet));
      drawMap(root.querySelector('#smap'), sts.map((s) => ({
        ...s, fill: shade(perStreet[s.id] || 0, max), title: `${nameOf(s)}: ${t('sup.whistles', { n: perStreet[s.id] || 0 })}`,
        // Chinese names fit their blocks; English ones only where there is something to count.
        label: who.district && (getLang() === 'zh' || perStreet[s.id])
          ? `${nameOf(s).replace(/(街道|地区|镇|乡)$/, '')}${perStreet[s.id] ? ` ${perStreet[s.id]}` : ''}` : '',
      })));
      root.querySelector('#map-legend').textContent = Object.entries(perStreet).sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([id, n]) => `${nameOf(stBy[id], id)} ${n}`).join(' · ') || t('none');

      const rows = ranking(report, ws, now);
      root.querySelector('#rank-table').innerHTML = `<table class="rank"><thead><tr><th scope="col">${esc(t('department'))}</th>
        <th scope="col">${esc(t('sup.dispatched'))}</th><th scope="col">${esc(t('sup.onTime'))}</th><th scope="col">${esc(t('sup.breaches'))}</th></tr></thead><tbody>
        ${rows.map((r) => `<tr data-department="${esc(r.department)}"><th scope="row">${esc(nameOf(deps[r.department], r.department))}</th><td>${r.dispatched}</td>
          <td>${(r.rate * 100).toFixed(0)}%</td><td>${r.breaches}</td></tr>`).join('') || `<tr><td colspan="4">${esc(t('none'))}</td></tr>`}</tbody></table>`;
      chart('rank-chart', {
        animation: false, grid: { left: 90, right: 56, top: 10, bottom: 24 },
        xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%', color: '#333' } },
        yAxis: { type: 'category', inverse: true, data: rows.map((r) => nameOf(deps[r.department], r.department)), axisLabel: { color: '#222' } },
        series: [{ type: 'bar', data: rows.map((r) => +(r.rate * 100).toFixed(1)), itemStyle: { color: '#1f5fa8' }, label: { show: true, position: 'right', formatter: '{c}%', color: '#222' } }],
      });
      const days = [...Array(7)].map((_, i) => new Date(now - (6 - i) * 864e5).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }));
      const perDay = Object.fromEntries(days.map((d) => [d, 0]));
      for (const w of ws) {
        const d = new Date(w.raised_at).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
        if (d in perDay) perDay[d]++;
      }
      chart('trend-chart', {
        animation: false, grid: { left: 40, right: 20, top: 10, bottom: 24 },
        xAxis: { type: 'category', data: days.map((d) => d.slice(5)), axisLabel: { color: '#222' } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#333' } },
        series: [{ type: 'line', data: days.map((d) => perDay[d]), itemStyle: { color: '#b3261e' }, areaStyle: { color: 'rgba(179,38,30,0.12)' } }],
      });
      root.dataset.refreshed = String(Date.now());
    } catch (err) {
      toastError(err);
    }
  }
  let alive = true;
  await refresh();
  const stop = follow(refresh);
  return () => {
    alive = false;
    stop();
    window.removeEventListener('resize', onResize);
    Object.values(charts).forEach((c) => c.dispose());
  };
}

/** Department lines: the feedback service's SLA report when it answers, else computed from the whistles' dispatches. */
function ranking(report, whistles, now) {
  const lines = report?.departments;
  if (Array.isArray(lines) && lines.length) {
    return lines.map((l) => ({
      department: l.department, dispatched: Number(l.dispatched || 0), breaches: Number(l.breaches || 0),
      rate: Number(l.arrival_rate || 0),
    })).sort((a, b) => b.rate - a.rate || a.breaches - b.breaches);
  }
  const by = {};
  for (const w of whistles) {
    for (const d of w.dispatches || []) {
      if (d.status === 'CANCELLED') continue;
      const r = (by[d.department] ??= { department: d.department, dispatched: 0, onTime: 0, decided: 0, breaches: 0 });
      r.dispatched++;
      r.breaches += (d.breaches || []).length;
      const due = Date.parse(d.deadlines?.arrive_by || '');
      if (d.arrived_at) { r.decided++; if (Date.parse(d.arrived_at) <= due) r.onTime++; } else if (due < now && d.status !== 'RETURNED') r.decided++;
    }
  }
  return Object.values(by).map((r) => ({ ...r, rate: r.decided ? r.onTime / r.decided : 1 }))
    .sort((a, b) => b.rate - a.rate || a.breaches - b.breaches);
}

let echartsPromise;
/** Loads the vendored ECharts build once, on the first page that charts. */
function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  echartsPromise ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/console/vendor/echarts.simple.min.js';
    s.onload = () => resolve(window.echarts);
    s.onerror = reject;
    document.head.append(s);
  });
  return echartsPromise;
}
