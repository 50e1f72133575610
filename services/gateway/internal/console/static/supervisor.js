// The supervisor's wall screen: at-risk and breached dispatches live, the
// district's map (boundaries, streets shaded by open whistles, whistles as
// markers by dispatch state), the departments ranked by
// on-time arrival, the week's trend, and a drill-down to any whistle's
// timeline.
import { api, all, fetchFile, openDocument, categories, departments, streets, districts, byKey } from './api.js';
import { t, nameOf, when } from './i18n.js';
import { now as serverNow, sync } from './clock.js';
import { esc, toast, toastError, countdownChip, risk, activeClock, downloadCSV, openDialog, formButtons } from './ui.js';
import { createDistrictMap, legend } from './districtmap.js';
import { loadVendor } from './vendor.js';
import { follow } from './live.js';
import { showTimeline } from './timeline.js';
import { nameCommittees, deptName } from './committees.js';

const CLOSED = new Set(['CLOSED', 'CANCELLED']);

export async function render(root, who) {
  const [cats, deps, sts, dists] = await Promise.all([
    categories().then((c) => byKey(c)), departments().then((d) => byKey(d)),
    streets(who.district), districts().then((d) => byKey(d, 'id')), sync(),
  ]);
  const stBy = byKey(sts, 'id');
  const scope = who.district ? nameOf(dists[who.district], who.district) : t('signin.cityWide');
  root.innerHTML = `<section class="sup" aria-labelledby="b-h">
    <div class="queue-head"><h1 id="b-h">${esc(t('sup.board'))} · ${esc(scope)}</h1>
      <button type="button" id="csv" class="secondary">${esc(t('sup.export'))}</button></div>
    <div class="kpis" id="kpis" aria-live="polite"></div>
    <section class="card" aria-labelledby="risk-h"><div class="queue-head"><h2 id="risk-h">${esc(t('sup.atRisk'))} / ${esc(t('sup.breached'))}</h2>
      <label class="radio"><input type="checkbox" id="show-all"> ${esc(t('sup.showAll'))}</label></div><div id="board"></div></section>
    <section class="card" aria-labelledby="map-h"><div class="queue-head"><h2 id="map-h">${esc(t('sup.map'))}</h2>
      <div class="map-layers" role="group" aria-label="${esc(t('map.layers'))}">
        ${['district', 'street', 'community', 'whistles'].map((l) => `<label class="radio"><input type="checkbox" data-layer="${l}" checked> ${esc(t(`map.${l}`))}</label>`).join('')}</div></div>
      <div id="smap" class="lmap" role="region" aria-label="${esc(t('sup.map'))}"></div><div id="map-key"></div><p id="map-legend" class="hint"></p></section>
    <section class="card" aria-labelledby="sc-h" id="sc-card"><div class="queue-head"><h2 id="sc-h">${esc(t('sc.title'))}</h2>
      <form id="sc-form" class="row">
        <div class="stack"><label for="sc-month">${esc(t('sc.month'))}</label><input id="sc-month" name="month" type="month" required></div>
        <div class="stack"><label for="sc-group">${esc(t('sc.group'))}</label><select id="sc-group" name="group">
          <option value="DEPARTMENT">${esc(t('department'))}</option><option value="STREET">${esc(t('street'))}</option></select></div>
        <button type="button" id="sc-csv" class="secondary">${esc(t('sc.csv'))}</button>
        <button type="button" id="sc-print" class="secondary">${esc(t('sc.print'))}</button>
        <button type="button" id="sc-pdf" class="secondary">${esc(t('sc.pdf'))}</button></form></div>
      <div id="scorecards" class="scroll"></div></section>
    <section class="card" aria-labelledby="arb-h" id="arb-card"><h2 id="arb-h">${esc(t('sup.arbitrations'))}</h2><div id="arbs"></div></section>
    <section class="card" aria-labelledby="ext-h" id="ext-card"><h2 id="ext-h">${esc(t('ext.queue'))}</h2><div id="exts" class="scroll"></div></section>
    <div class="cols">
      <section class="card" aria-labelledby="rank-h"><h2 id="rank-h">${esc(t('sup.ranking'))}</h2>
        <div id="rank-chart" class="chart" role="img" aria-label="${esc(t('sup.ranking'))}"></div><div id="rank-table"></div></section>
      <section class="card" aria-labelledby="trend-h"><h2 id="trend-h">${esc(t('sup.trend'))}</h2>
        <div id="trend-chart" class="chart" role="img" aria-label="${esc(t('sup.trend'))}"></div></section>
    </div></section>`;

  let dispatches = [];
  // The district map: boundaries once (they change only with a published
  // import), markers and shading on every refresh.
  const mapReady = Promise.all([createDistrictMap(root.querySelector('#smap'), { onTimeline: showTimeline }), api('/v1/map')])
    .then(([m, dm]) => {
      m.setAreas(dm);
      m.synthetic = (dm.areas || []).filter((a) => a.level === 'street' && a.synthetic).length;
      root.querySelector('#smap').dataset.version = dm.boundary_version || '';
      return m;
    })
    .catch((err) => {
      root.querySelector('#map-key').innerHTML = `<p class="muted">${esc(err.message || String(err))}</p>`;
      return null;
    });
  root.querySelector('.map-layers').addEventListener('change', async (ev) => {
    const m = await mapReady;
    const l = ev.target.dataset.layer;
    if (!m || !l) return;
    const groups = l === 'street' ? [m.layers.street, m.layers.labels] : [m.layers[l]];
    for (const g of groups) (ev.target.checked ? m.map.addLayer(g) : m.map.removeLayer(g));
  });
  const charts = {};
  const echartsReady = loadVendor('echarts.simple.min.js', 'echarts').catch(() => null);
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
    const h = ev.target.closest('[data-handle]');
    if (h) handleDispatch(h.dataset.handle, deps, () => refresh());
  });
  root.querySelector('#show-all').addEventListener('change', () => refresh());

  // The monthly scorecard (三率) and its CSV: asked for on demand, not on every live refresh.
  const scForm = root.querySelector('#sc-form');
  const month = scForm.querySelector('#sc-month');
  month.value = new Date(serverNow()).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 7);
  const period = () => {
    const [y, m] = month.value.split('-').map(Number);
    const from = new Date(Date.UTC(y, m - 1, 1) - 8 * 3600e3), to = new Date(Date.UTC(y, m, 1) - 8 * 3600e3); // Beijing months
    return `${who.district ? `district=${who.district}&` : ''}from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  };
  async function scorecards() {
    if (!month.value) return;
    const group = scForm.querySelector('#sc-group').value;
    const box = root.querySelector('#scorecards');
    try {
      const r = await api(`/v1/reports/scorecards?${period()}&group_by=${group}`);
      const pct = (x) => `${(Number(x || 0) * 100).toFixed(0)}%`;
      const rows = r?.scorecards || [];
      if (group !== 'STREET') await nameCommittees(rows.map((c) => c.key));
      box.innerHTML = rows.length ? `<table class="rank"><thead><tr><th scope="col">#</th><th scope="col">${esc(t(group === 'STREET' ? 'street' : 'department'))}</th>
        <th scope="col">${esc(t('sup.dispatched'))}</th><th scope="col">${esc(t('sc.response'))}</th><th scope="col">${esc(t('sup.onTime'))}</th>
        <th scope="col">${esc(t('sc.resolution'))}</th><th scope="col">${esc(t('sc.satisfaction'))}</th><th scope="col">${esc(t('sc.composite'))}</th><th scope="col">${esc(t('sc.arrivalCheck'))}</th></tr></thead><tbody>
        ${rows.map((c) => `<tr><td>${esc(c.rank)}</td><th scope="row">${esc(group === 'STREET' ? nameOf(stBy[c.key], c.key) : deptName(deps[c.key], c.key))}</th>
          <td>${esc(Number(c.sla?.dispatched || 0))}</td><td>${pct(c.sla?.response_rate)}</td><td>${pct(c.sla?.arrival_rate)}</td>
          <td>${pct(c.sla?.resolution_rate)}</td><td>${pct(c.sla?.satisfaction_rate)}</td><td><strong>${Number(c.composite || 0).toFixed(1)}</strong></td>
          <td data-far="${esc(Number(c.far_arrivals || 0))}" data-unlocated="${esc(Number(c.unlocated_arrivals || 0))}">${esc(Number(c.far_arrivals || 0))} / ${esc(Number(c.unlocated_arrivals || 0))}</td></tr>`).join('')}</tbody></table>`
        : `<p class="muted">${esc(t('none'))}</p>`;
    } catch (err) {
      root.querySelector('#sc-card').hidden = err.status === 404;
      if (err.status !== 404) box.innerHTML = `<p class="muted">${esc(err.message)}</p>`;
    }
  }
  scForm.addEventListener('change', scorecards);
  scForm.addEventListener('submit', (ev) => { ev.preventDefault(); scorecards(); });
  // The gateway serves both as documents (a CSV file, a printable page); fetched with the token, then saved or shown.
  root.querySelector('#sc-csv').addEventListener('click', async () => {
    try {
      const { blob, filename } = await fetchFile(`/v1/reports/sla.csv?${period()}`);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = filename || 'sla.csv';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (err) {
      toastError(err);
    }
  });
  // The printable page, and the PDF 治理成绩单 to sign and seal.
  for (const [id, ext] of [['#sc-print', 'html'], ['#sc-pdf', 'pdf']]) {
    root.querySelector(id).addEventListener('click', () =>
      openDocument(`/v1/reports/monthly.${ext}?${who.district ? `district=${who.district}&` : ''}month=${month.value}`).catch(toastError));
  }
  scorecards();
  const arbs = root.querySelector('#arbs');
  arbs.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const fd = new FormData(f);
    const body = { department: fd.get('department'), reset_sla: fd.get('reset_sla') === 'on', reset_reason: String(fd.get('reset_reason') || ''), note: String(fd.get('note') || '') };
    try {
      await api(`/v1/arbitrations/${encodeURIComponent(f.dataset.id)}:decide`, { method: 'POST', body });
      toast(t('saved'));
      f.closest('details').open = false;
      refresh();
    } catch (err) {
      toastError(err);
    }
  });
  root.querySelector('#exts').addEventListener('click', async (ev) => {
    const b = ev.target.closest('[data-ext]');
    if (!b) return;
    b.disabled = true;
    try {
      await api(`/v1/dispatches/${encodeURIComponent(b.dataset.dispatch)}:decideExtension`, { method: 'POST', body: { extension_id: b.dataset.ext, approve: !!b.dataset.approve } });
      toast(t('saved'));
      refresh();
    } catch (err) {
      b.disabled = false;
      toastError(err);
    }
  });
  arbs.addEventListener('click', (ev) => {
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
      const from = new Date(serverNow() - 30 * 864e5).toISOString(), to = new Date(serverNow() + 864e5).toISOString();
      const showAll = root.querySelector('#show-all').checked;
      // The risk board and its counts come from the server (its clock, its scope);
      // every open dispatch is fetched only to show them all.
      const [risky, ws, report, arb, ext, every] = await Promise.all([
        api('/v1/risk/dispatches?page_size=200'),
        all('/v1/whistles', 'whistles', { pageSize: 100, maxPages: 10 }),
        api(`/v1/reports/sla?${who.district ? `district=${who.district}&` : ''}from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`).catch(() => null),
        api('/v1/arbitrations').catch(() => null),
        api('/v1/extensions/pending?page_size=100').catch(() => null),
        showAll ? all('/v1/dispatches', 'dispatches') : null,
      ]);
      // The committees' desks among them are named by their districts' committees.
      await nameCommittees([
        ...[every || risky.dispatches || [], ws.flatMap((w) => w.dispatches || []), report?.departments || [],
          (ext?.extensions || []).map((e) => e.dispatch || {})].flat().map((d) => d.department),
        ...(arb?.arbitrations || []).map((a) => a.from_department)]);
      if (!alive) return;
      const now = serverNow();
      const board = every
        ? every.sort((a, b) => Date.parse(activeClock(a)?.deadline || '') - Date.parse(activeClock(b)?.deadline || '')).slice(0, 200)
        : risky.dispatches || [];
      dispatches = every || board;
      const openW = ws.filter((w) => !CLOSED.has(w.status));
      root.querySelector('#kpis').innerHTML = [
        ['open', t('sup.open'), risky.open || 0], ['warn', t('sup.atRisk'), risky.at_risk || 0], ['late', t('sup.breached'), risky.breached || 0],
        ['whistles', t('sup.openWhistles'), openW.length],
      ].map(([k, label, n]) => `<div class="kpi kpi-${k}" data-kpi="${k}"><span class="kpi-n">${n}</span><span class="kpi-l">${esc(label)}</span></div>`).join('');

      root.querySelector('#board').innerHTML = board.length ? `<table class="board"><thead><tr>
          <th scope="col">${esc(t('department'))}</th><th scope="col">${esc(t('street'))}</th><th scope="col">${esc(t('category'))}</th>
          <th scope="col">${esc(t('status'))}</th><th scope="col">${esc(t('sup.deadline'))}</th><th scope="col"><span class="sr-only">${esc(t('timeline'))}</span></th></tr></thead><tbody>
        ${board.map((d) => `<tr class="risk-${risk(d, now)}" data-dispatch="${esc(d.id)}"><td>${esc(deptName(deps[d.department], d.department))}</td>
          <td>${esc(nameOf(stBy[d.street_id], d.street_id))}</td><td>${esc(nameOf(cats[d.category], d.category))}</td>
          <td><span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></td><td>${countdownChip(d)}</td>
          <td class="nowrap"><button type="button" class="ghost" data-handle="${esc(d.id)}">${esc(t('sup.handle'))}</button>
            <button type="button" class="ghost" data-timeline="${esc(d.whistle_id)}">${esc(t('timeline'))}</button></td></tr>`).join('')}
        </tbody></table>` : `<p class="muted">${esc(t('sup.noRisk'))}</p>`;

      // 审定: disputed returns and whistles outside every street wait for a decision here.
      const openArbs = arb?.arbitrations || [];
      root.querySelector('#arb-card').hidden = !arb;
      if (!arbs.querySelector('details[open]')) {
        arbs.innerHTML = openArbs.length ? openArbs.map((a) => arbitration(a, deps, cats)).join('') : `<p class="muted">${esc(t('none'))}</p>`;
      }

      // 延期审批: every extension asked for in the district, decided from the list.
      root.querySelector('#ext-card').hidden = !ext;
      root.querySelector('#exts').innerHTML = extensionQueue(ext?.extensions || [], deps, stBy, cats);

      const perStreet = {};
      for (const w of openW) perStreet[w.street_id] = (perStreet[w.street_id] || 0) + 1;
      mapReady.then((m) => {
        if (!m || !alive) return;
        m.shadeStreets(perStreet);
        const seen = m.setWhistles(openW, { now, streets: stBy, cats, deps });
        root.querySelector('#map-key').innerHTML = legend(seen, m.synthetic);
        root.querySelector('#smap').dataset.refreshed = String(Date.now());
      });
      root.querySelector('#map-legend').textContent = Object.entries(perStreet).sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([id, n]) => `${nameOf(stBy[id], id)} ${n}`).join(' · ') || t('none');

      const rows = ranking(report, ws, now);
      root.querySelector('#rank-table').innerHTML = `<table class="rank"><thead><tr><th scope="col">${esc(t('department'))}</th>
        <th scope="col">${esc(t('sup.dispatched'))}</th><th scope="col">${esc(t('sup.onTime'))}</th><th scope="col">${esc(t('sup.breaches'))}</th></tr></thead><tbody>
        ${rows.map((r) => `<tr data-department="${esc(r.department)}"><th scope="row">${esc(deptName(deps[r.department], r.department))}</th><td>${r.dispatched}</td>
          <td>${(r.rate * 100).toFixed(0)}%</td><td>${r.breaches}</td></tr>`).join('') || `<tr><td colspan="4">${esc(t('none'))}</td></tr>`}</tbody></table>`;
      chart('rank-chart', {
        animation: false, grid: { left: 90, right: 56, top: 10, bottom: 24 },
        xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%', color: '#333' } },
        yAxis: { type: 'category', inverse: true, data: rows.map((r) => deptName(deps[r.department], r.department)), axisLabel: { color: '#222' } },
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
  const stop = follow(refresh, { minGap: 2000 });
  return () => {
    alive = false;
    stop();
    window.removeEventListener('resize', onResize);
    Object.values(charts).forEach((c) => c.dispose());
    mapReady.then((m) => m?.destroy());
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

function arbitration(a, deps, cats) {
  const opts = Object.values(deps).map((d) => `<option value="${esc(d.code)}"${d.code === 'district-government' ? ' selected' : ''}>${esc(nameOf(d))}</option>`).join('');
  const id = esc(a.id);
  return `<article class="whistle" data-arbitration="${id}">
    <header><h3>${esc(t(`arb.${a.kind}`))} · ${esc(nameOf(cats[a.category], a.category || ''))}</h3>
      <time class="muted" datetime="${esc(a.requested_at)}">${esc(when(a.requested_at))}</time></header>
    <p>${a.from_department ? `${esc(deptName(deps[a.from_department], a.from_department))}: ` : ''}${esc(a.reason || a.reason_code || '')}</p>
    <div class="actions"><button type="button" class="ghost" data-timeline="${esc(a.whistle_id)}">${esc(t('timeline'))}</button>
    <details><summary class="button primary">${esc(t('arb.decide'))}</summary>
      <form class="stack" data-id="${id}">
        <label for="arb-dep-${id}">${esc(t('arb.department'))}</label><select id="arb-dep-${id}" name="department">${opts}</select>
        <label class="radio"><input type="checkbox" name="reset_sla"> ${esc(t('arb.reset'))}</label>
        <label for="arb-rr-${id}">${esc(t('arb.resetReason'))}</label><input id="arb-rr-${id}" name="reset_reason" maxlength="1000">
        <label for="arb-note-${id}">${esc(t('arb.note'))}</label><input id="arb-note-${id}" name="note" maxlength="1000">
        <button type="submit" class="primary">${esc(t('arb.decide'))}</button>
      </form></details></div></article>`;
}

/** The table of extensions awaiting a decision, each with approve and reject buttons. */
function extensionQueue(list, deps, stBy, cats) {
  if (!list.length) return `<p class="muted">${esc(t('none'))}</p>`;
  return `<table class="board"><thead><tr><th scope="col">${esc(t('department'))}</th><th scope="col">${esc(t('street'))}</th>
    <th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('ext.clock'))}</th><th scope="col">${esc(t('ext.from'))}</th>
    <th scope="col">${esc(t('ext.until'))}</th><th scope="col">${esc(t('ext.reason'))}</th><th scope="col">${esc(t('ext.asked'))}</th>
    <th scope="col"><span class="sr-only">${esc(t('sup.handle'))}</span></th></tr></thead><tbody>
    ${list.map(({ extension: x, dispatch: d }) => {
      const who = `${deptName(deps[d.department], d.department)} · ${nameOf(cats[d.category], d.category)}`;
      const btn = (approve, cls, label) => `<button type="button" class="${cls}" data-ext="${esc(x.id)}" data-dispatch="${esc(d.id)}" data-approve="${approve}"
        aria-label="${esc(`${label}: ${who}`)}">${esc(label)}</button>`;
      return `<tr data-extension="${esc(x.id)}"><td>${esc(deptName(deps[d.department], d.department))}</td><td>${esc(nameOf(stBy[d.street_id], d.street_id))}</td>
        <td>${esc(nameOf(cats[d.category], d.category))}</td><td>${esc(t(`clock.${x.clock}`))}</td><td>${esc(when(x.previous_due_at))}</td>
        <td>${esc(when(x.until))}</td><td>${esc(x.reason)}</td><td>${esc(when(x.requested_at))}</td>
        <td class="nowrap">${btn('1', 'primary', t('ext.approve'))} ${btn('', 'secondary', t('ext.reject'))}</td></tr>`;
    }).join('')}</tbody></table>`;
}

/** The dispatch drill-down: its clocks, escalation and extensions; remind (催办) and decide extensions. */
async function handleDispatch(id, deps, onChange) {
  let d;
  try {
    d = await api(`/v1/dispatches/${encodeURIComponent(id)}`);
  } catch (err) {
    toastError(err);
    return;
  }
  const clocks = (d.clocks || []).map((c) => `<tr><th scope="row">${esc(t(`clock.${c.clock}`))}</th><td>${esc(when(c.due_at))}${c.original_due_at ? ` <span class="muted">(${esc(when(c.original_due_at))})</span>` : ''}</td>
    <td><span class="badge st-${esc(c.state)}">${esc(t(`st.${c.state}`))}</span></td></tr>`).join('');
  const exts = (d.extensions || []).map((x) => `<li>${esc(t(`clock.${x.clock}`))} → ${esc(when(x.until))} · ${esc(x.reason)} · <strong>${esc(t(`ext.${x.status}`))}</strong>
    ${x.status === 'PENDING' ? `<span class="row"><button type="button" class="primary" data-ext="${esc(x.id)}" data-approve="1">${esc(t('ext.approve'))}</button>
      <button type="button" class="secondary" data-ext="${esc(x.id)}" data-approve="">${esc(t('ext.reject'))}</button></span>` : ''}</li>`).join('');
  const dlg = openDialog(`${deptName(deps[d.department], d.department)} · ${t(`d.${d.status}`)}`, `
    <table><tbody>${clocks}</tbody></table>
    <p>${esc(t('sup.escalation'))}: <strong>${esc(t(`esc.${d.escalation_level || 0}`))}</strong></p>
    <p class="row">${formButtons(d)}</p>
    <h3>${esc(t('sup.extensions'))}</h3><ul class="timeline">${exts || `<li>${esc(t('none'))}</li>`}</ul>
    <form class="stack" id="esc-form"><label for="esc-reason">${esc(t('sup.escReason'))}</label><input id="esc-reason" name="reason" required maxlength="1000">
      <button type="submit" class="primary">${esc(t('sup.escalate'))}</button></form>`);
  dlg.querySelector('#esc-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api(`/v1/dispatches/${encodeURIComponent(id)}:escalate`, { method: 'POST', body: { reason: String(new FormData(ev.target).get('reason') || '') } });
      toast(t('saved'));
      dlg.close();
      onChange();
    } catch (err) {
      toastError(err);
    }
  });
  dlg.addEventListener('click', async (ev) => {
    const f = ev.target.closest('[data-form]');
    if (f) openDocument(f.dataset.form).catch(toastError);
    const b = ev.target.closest('[data-ext]');
    if (!b) return;
    try {
      await api(`/v1/dispatches/${encodeURIComponent(id)}:decideExtension`, { method: 'POST', body: { extension_id: b.dataset.ext, approve: !!b.dataset.approve } });
      toast(t('saved'));
      dlg.close();
      onChange();
    } catch (err) {
      toastError(err);
    }
  });
}
