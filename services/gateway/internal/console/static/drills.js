// 演练: the supervisor's drills and their report. The drills are found in the
// supervisor's whistle list (drill whistles carry drill_id; streets and the
// public never get them); the report compares a drill's on-time rates with
// the real period it replayed, per department, street or category. The real
// period is the recording's: read from its file (the header, locally, never
// uploaded) or typed in Beijing time. Recording and replaying stay in the CLI
// (docs/drills.md says why).
import { api, all, departments, streets, categories, districts, byKey } from './api.js';
import { nameOf, when, pageWords } from './i18n.js';
import { esc, toastError } from './ui.js';
import { nameCommittees, deptName } from './committees.js';

const words = {
  zh: {
    title: '演练', list: '本区演练', report: '演练报告', none: '最近的哨单中没有演练。',
    listHint: '列出最近 1000 条哨单中的演练；更早的演练可直接输入演练编号查看报告。',
    cli: '演练由命令行录制和回放：whistlectl drill record 录制真实时段（已匿名），whistlectl drill run 按倍速回放。此页查看演练并与真实时段对比。',
    drill: '演练编号', whistles: '回放哨单', dispatches: '派单', open: '未办结', first: '首条', last: '末条', show: '看报告',
    district: '区', recording: '录制文件（读取文件头的真实时段）', from: '真实时段起（北京时间）', to: '真实时段止（不含）',
    group: '分组', byDept: '按部门', byStreet: '按街道', byCategory: '按类别', go: '对比',
    key: '部门', drillSide: '演练', realSide: '真实', ack: '签收及时率', arrive: '到场及时率', resolve: '办结及时率',
    total: '合计', period: '演练 {drill} · 对比真实时段 {from} — {to}',
    rule: '口径：签收及时率 = 时限内签收（或退单）÷ 派单；到场、办结及时率 = 时限内到场、办结 ÷ 未退单的派单。作废的派单不计，两边都不计申诉。时钟仍在走的派单算作尚未按时：演练结束后再看。',
    badFile: '不是演练录制文件（whistle-drill-recording 第 1 版）。', fromFile: '已从文件读取：{district}，{n} 条，{from} — {to}',
  },
  en: {
    title: 'Drills', list: 'Drills of the district', report: 'Drill report', none: 'No drill among the recent whistles.',
    listHint: 'Drills among the latest 1,000 whistles; type an older drill\'s id to read its report.',
    cli: 'Drills are recorded and replayed from the CLI: whistlectl drill record captures a real period (anonymised), whistlectl drill run replays it at a chosen speed. This page lists them and compares them with the real period.',
    drill: 'Drill id', whistles: 'Replayed whistles', dispatches: 'Dispatches', open: 'Open', first: 'First', last: 'Last', show: 'Report',
    district: 'District', recording: 'Recording (its header gives the real period)', from: 'Real period from (Beijing time)', to: 'Real period to (exclusive)',
    group: 'Group by', byDept: 'Department', byStreet: 'Street', byCategory: 'Category', go: 'Compare',
    key: 'Department', drillSide: 'drill', realSide: 'real', ack: 'Ack on time', arrive: 'Arrived on time', resolve: 'Resolved on time',
    total: 'Total', period: 'Drill {drill} · against the real period {from} — {to}',
    rule: 'Ack rate = acknowledged (or returned) by the deadline ÷ dispatched; arrive and resolve rates = on site, done by the deadline ÷ dispatches not returned. Cancelled dispatches left out, appeals applied on neither side. A clock still running counts as not yet on time: read the report when the drill is over.',
    badFile: 'Not a drill recording (whistle-drill-recording version 1).', fromFile: 'From the file: {district}, {n} raises, {from} — {to}',
  },
};
const { w, both } = pageWords(words);

const CLOSED = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);
const pct = (x) => `${(Number(x || 0) * 100).toFixed(0)}%`;
// A datetime-local value read as Beijing time, and the other way.
const fromBeijing = (v) => (v ? new Date(`${v.length === 16 ? `${v}:00` : v}+08:00`).toISOString() : '');
const toBeijing = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 19);

export async function render(root, who) {
  const [deps, sts, cats, dists] = await Promise.all([
    departments().then((d) => byKey(d)), streets(who.district).then((s) => byKey(s, 'id')),
    categories().then((c) => byKey(c)), districts(),
  ]);
  const distBy = byKey(dists, 'id');
  const scope = who.district ? nameOf(distBy[who.district], who.district) : '';
  const opt = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  root.innerHTML = `<section class="drills" aria-labelledby="dr-h">
    <h1 id="dr-h">${esc(both('title'))}${scope ? ` · ${esc(scope)}` : ''}</h1>
    <p class="hint">${esc(w('cli'))}</p>
    <section class="card" aria-labelledby="dr-list-h"><h2 id="dr-list-h">${esc(w('list'))}</h2>
      <p class="hint">${esc(w('listHint'))}</p><div id="dr-list" class="scroll"></div></section>
    <section class="card" aria-labelledby="dr-rep-h"><h2 id="dr-rep-h">${esc(w('report'))}</h2>
      <form id="dr-form" class="row">
        <div class="stack"><label for="dr-drill">${esc(w('drill'))}</label>
          <input id="dr-drill" name="drill" required maxlength="24" pattern="[a-z0-9_]{1,24}" autocomplete="off" list="dr-ids"><datalist id="dr-ids"></datalist></div>
        ${who.district ? '' : `<div class="stack"><label for="dr-district">${esc(w('district'))}</label><select id="dr-district" name="district" required>
          ${dists.map((d) => opt(d.id, nameOf(d))).join('')}</select></div>`}
        <div class="stack"><label for="dr-file">${esc(w('recording'))}</label><input id="dr-file" type="file" accept=".jsonl,.json,application/json,text/plain"></div>
        <div class="stack"><label for="dr-from">${esc(w('from'))}</label><input id="dr-from" name="from" type="datetime-local" step="1" required></div>
        <div class="stack"><label for="dr-to">${esc(w('to'))}</label><input id="dr-to" name="to" type="datetime-local" step="1" required></div>
        <div class="stack"><label for="dr-group">${esc(w('group'))}</label><select id="dr-group" name="group">
          ${opt('DEPARTMENT', w('byDept'))}${opt('STREET', w('byStreet'))}${opt('CATEGORY', w('byCategory'))}</select></div>
        <button type="submit" class="primary">${esc(w('go'))}</button>
      </form>
      <p id="dr-file-note" class="hint" aria-live="polite"></p>
      <div id="dr-report" class="scroll" aria-live="polite"></div>
      <p class="hint">${esc(w('rule'))}</p></section></section>`;
  const form = root.querySelector('#dr-form');
  const field = (id) => form.querySelector(`#${id}`);

  // The drills among the supervisor's latest whistles, newest first.
  const ws = await all('/v1/whistles', 'whistles', { pageSize: 100, maxPages: 10 }).catch((err) => { toastError(err); return []; });
  if (!root.isConnected) return () => {};
  const drills = new Map();
  for (const x of ws) {
    if (!x.drill_id) continue;
    const d = drills.get(x.drill_id) ?? { id: x.drill_id, whistles: 0, dispatches: 0, open: 0, first: x.raised_at, last: x.raised_at };
    d.whistles++;
    d.dispatches += (x.dispatches || []).filter((p) => p.status !== 'CANCELLED').length;
    if (!CLOSED.has(x.status)) d.open++;
    if (x.raised_at < d.first) d.first = x.raised_at;
    if (x.raised_at > d.last) d.last = x.raised_at;
    drills.set(x.drill_id, d);
  }
  const list = [...drills.values()];
  root.querySelector('#dr-ids').innerHTML = list.map((d) => `<option value="${esc(d.id)}"></option>`).join('');
  root.querySelector('#dr-list').innerHTML = list.length ? `<table class="rank"><thead><tr>
      <th scope="col">${esc(w('drill'))}</th><th scope="col">${esc(w('whistles'))}</th><th scope="col">${esc(w('dispatches'))}</th>
      <th scope="col">${esc(w('open'))}</th><th scope="col">${esc(w('first'))}</th><th scope="col">${esc(w('last'))}</th>
      <th scope="col"><span class="sr-only">${esc(w('show'))}</span></th></tr></thead><tbody>
    ${list.map((d) => `<tr data-drill="${esc(d.id)}"><th scope="row"><span class="badge drill">${esc(w('title'))}</span> <code>${esc(d.id)}</code></th>
      <td>${d.whistles}</td><td>${d.dispatches}</td><td>${d.open}</td><td>${esc(when(d.first))}</td><td>${esc(when(d.last))}</td>
      <td><button type="button" class="ghost" data-pick="${esc(d.id)}" aria-label="${esc(`${w('show')}: ${d.id}`)}">${esc(w('show'))}</button></td></tr>`).join('')}
    </tbody></table>` : `<p class="muted">${esc(w('none'))}</p>`;
  root.querySelector('#dr-list').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-pick]');
    if (!b) return;
    field('dr-drill').value = b.dataset.pick;
    field('dr-drill').focus();
  });

  // The recording's header: the exact real period (kept to the nanosecond
  // until the times are edited) and the district.
  let exact = null;
  field('dr-file').addEventListener('change', async () => {
    const file = field('dr-file').files?.[0];
    const note = root.querySelector('#dr-file-note');
    exact = null;
    if (!file) return;
    let h = null;
    try {
      h = JSON.parse((await file.slice(0, 4096).text()).split('\n')[0]);
    } catch { h = null; }
    if (h?.format !== 'whistle-drill-recording' || h.version !== 1 || !h.from || !h.to) {
      note.textContent = w('badFile');
      return;
    }
    exact = { from: h.from, to: h.to };
    field('dr-from').value = toBeijing(h.from);
    field('dr-to').value = toBeijing(h.to);
    if (field('dr-district') && h.district) field('dr-district').value = h.district;
    note.textContent = w('fromFile', { district: nameOf(distBy[h.district], h.district), n: Number(h.raises || 0), from: when(h.from), to: when(h.to) });
    exact.shown = { from: field('dr-from').value, to: field('dr-to').value };
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const group = field('dr-group').value;
    const same = exact && exact.shown.from === field('dr-from').value && exact.shown.to === field('dr-to').value;
    const q = new URLSearchParams({
      real_from: same ? exact.from : fromBeijing(field('dr-from').value),
      real_to: same ? exact.to : fromBeijing(field('dr-to').value),
    });
    const district = who.district || field('dr-district')?.value || '';
    if (district) q.set('district', district);
    if (group === 'CATEGORY') q.set('by_category', 'true'); else q.set('group_by', group);
    const box = root.querySelector('#dr-report');
    let r;
    try {
      r = await api(`/v1/drills/${encodeURIComponent(field('dr-drill').value.trim())}/report?${q}`);
      if (r.group_by !== 'STREET' && r.group_by !== 'CATEGORY') await nameCommittees((r.rows || []).map((row) => row.key));
    } catch (err) {
      if (root.isConnected) toastError(err);
      return;
    }
    if (!root.isConnected) return;
    const name = (k) => (r.group_by === 'STREET' ? nameOf(sts[k], k) : r.group_by === 'CATEGORY' ? nameOf(cats[k], k) : deptName(deps[k], k));
    const cells = (row) => [['dispatched', null], ['ack_rate'], ['arrive_rate'], ['resolve_rate']].map(([k, n]) => {
      const d = row.drill || {}, real = row.real || {};
      if (n === null) return `<td>${Number(d.dispatched || 0)}</td><td>${Number(real.dispatched || 0)}</td>`;
      const diff = Math.round((Number(d[k] || 0) - Number(real[k] || 0)) * 100);
      return `<td data-rate="${k}" data-side="drill">${pct(d[k])}</td><td data-rate="${k}" data-side="real">${pct(real[k])}</td>
        <td class="${diff < 0 ? 'worse' : diff > 0 ? 'better' : ''}" data-diff="${k}">${diff > 0 ? '+' : ''}${diff}</td>`;
    }).join('');
    const key = { STREET: w('byStreet'), CATEGORY: w('byCategory') }[r.group_by] || w('key');
    const sub = (label) => `<th scope="col">${esc(label)}·${esc(w('drillSide'))}</th><th scope="col">${esc(label)}·${esc(w('realSide'))}</th>`;
    box.innerHTML = `<p><strong>${esc(w('period', { drill: r.drill_id, from: when(r.real_from), to: when(r.real_to) }))}</strong></p>
      <table class="rank drill-report"><thead><tr><th scope="col">${esc(key)}</th>${sub(w('dispatches'))}
        ${['ack', 'arrive', 'resolve'].map((k) => `${sub(w(k))}<th scope="col">Δ</th>`).join('')}</tr></thead><tbody>
      ${(r.rows || []).map((row) => `<tr data-key="${esc(row.key)}"><th scope="row">${esc(name(row.key))}</th>${cells(row)}</tr>`).join('')}</tbody>
      ${r.total ? `<tfoot><tr data-key=""><th scope="row">${esc(w('total'))}</th>${cells(r.total)}</tr></tfoot>` : ''}</table>`;
    root.dataset.report = r.drill_id;
  });
  return () => {};
}
