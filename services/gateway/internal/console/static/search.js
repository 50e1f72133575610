// 查询 / 台账: the whistles of the caller's scope by period, place,
// department, category, state, urgency, breach and keyword (GET
// /v1/search/whistles, newest first, 加载更多 with the keyset page token),
// and the register (台账) of the same filters as .xlsx or CSV. The server
// decides the scope (a street its own street and the neighbour whistles it
// was told of, a district supervisor its district, a city supervisor the
// city, a desk its department in its district); the pickers only offer what
// that scope can narrow. The filters live in the hash
// (#/supervisor/search?keyword=…&category=…), so a search can be reloaded or
// sent to a colleague.
import { api, fetchFile, categories, departments, streets, districts, byKey } from './api.js';
import { t, nameOf, pageWords, when } from './i18n.js';
import { committees, nameCommittees, deptName, isCommitteeDesk } from './committees.js';
import { esc, countdownChip, activeClock } from './ui.js';
import { sync } from './clock.js';
import { showTimeline } from './timeline.js';

const words = {
  zh: {
    title: '查询 · 台账', filters: '查询条件', from: '起始日期', to: '截止日期', district: '区', street: '街道',
    department: '承办部门', category: '类别', status: '状态', urgency: '紧急程度', breached: '只看超时', keyword: '关键词',
    keywordHint: '在标题、描述和地址中查找，如“占道”', all: '全部', cityWide: '全市', search: '查询', reset: '重置',
    committees: '社区居委会', departments: '部门', more: '加载更多', loadingMore: '加载中…',
    xlsx: '导出台账（Excel）', csv: '导出 CSV', exporting: '正在生成台账…', exported: '已下载：{name}',
    results: '查询结果', shown: '已显示 {n} 条', shownAll: '共 {n} 条', none: '没有符合条件的哨单。',
    failed: '查询失败：{m}', exportFailed: '导出失败：{m}', whistle: '哨单', deadline: '时限', raisedAt: '发起时间',
    breach: '已超时', breachOf: '{dept}{clock}超时', done: '{at} 办结', timelineOf: '时间线：{what}',
    period: '时间段', untitled: '（无标题）', scopeStreet: '本街道及邻近通报',
  },
  en: {
    title: 'Search · Register', filters: 'Filters', from: 'From', to: 'To', district: 'District', street: 'Street',
    department: 'Department', category: 'Category', status: 'State', urgency: 'Urgency', breached: 'Breached only', keyword: 'Keyword',
    keywordHint: 'Found in the title, description and address, e.g. 占道', all: 'All', cityWide: 'Whole city', search: 'Search', reset: 'Reset',
    committees: 'Community committees', departments: 'Departments', more: 'Load more', loadingMore: 'Loading…',
    xlsx: 'Register (Excel)', csv: 'Register (CSV)', exporting: 'Preparing the register…', exported: 'Downloaded: {name}',
    results: 'Results', shown: '{n} shown', shownAll: '{n} in all', none: 'No whistle matches.',
    failed: 'Search failed: {m}', exportFailed: 'Export failed: {m}', whistle: 'Whistle', deadline: 'Deadline', raisedAt: 'Raised',
    breach: 'Breached', breachOf: '{dept} {clock} breached', done: 'resolved {at}', timelineOf: 'Timeline: {what}',
    period: 'Period', untitled: '(untitled)', scopeStreet: 'own street and neighbour notices',
  },
};
const { w, both } = pageWords(words);

const STATUSES = ['RAISED', 'ROUTED', 'RESPONDING', 'RESOLVED', 'CLOSED', 'UNROUTABLE', 'CANCELLED', 'REOPENED'];
const URGENCIES = ['NORMAL', 'HIGH', 'CRITICAL'];
// The hash's filter names, in the form's order.
const FIELDS = ['from', 'to', 'district', 'street', 'department', 'category', 'status', 'urgency', 'breached', 'keyword'];
const PAGE = 20;

/** The filters in the hash (#/role/search?…). */
export function filtersOfHash(hash = location.hash) {
  const q = new URLSearchParams(hash.split('?')[1] || '');
  return Object.fromEntries(FIELDS.filter((k) => q.get(k)).map((k) => [k, q.get(k)]));
}

/** The API's query for the filters: dates are Beijing days, the end day included. */
export function apiQuery(f) {
  const q = new URLSearchParams();
  const day = (d, plus = 0) => new Date(Date.parse(`${d}T00:00:00+08:00`) + plus * 864e5);
  if (f.from && Number.isFinite(day(f.from).getTime())) q.set('raised_from', day(f.from).toISOString());
  if (f.to && Number.isFinite(day(f.to).getTime())) q.set('raised_to', day(f.to, 1).toISOString());
  const map = { district: 'district_id', street: 'street_id', department: 'department', category: 'category', status: 'status', urgency: 'urgency', keyword: 'keyword' };
  for (const [k, p] of Object.entries(map)) if (f[k]) q.set(p, f[k]);
  if (f.breached) q.set('breached', 'true');
  return q;
}

export async function render(root, who) {
  const city = who.role === 'supervisor' && !who.district;
  const [cats, deps, sts, dists] = await Promise.all([
    categories().then((c) => byKey(c)), departments(), streets(who.role === 'street' ? '' : who.district || ''),
    districts().then((d) => byKey(d, 'id')), sync(), nameCommittees([who.department]),
  ]);
  const stBy = byKey(sts, 'id');
  const depBy = byKey(deps);
  const depName = (code) => deptName(depBy[code], code);
  const opt = (v, label, sel) => `<option value="${esc(v)}"${sel ? ' selected' : ''}>${esc(label)}</option>`;
  const scope = who.role === 'street' ? `${nameOf(stBy[who.street], who.street)}（${w('scopeStreet')}）`
    : who.role === 'desk' ? `${nameOf(dists[who.district], who.district)} · ${depName(who.department)}`
      : who.district ? nameOf(dists[who.district], who.district) : w('cityWide');
  const pick = (id, label, options) => `<div class="stack"><label for="q-${id}">${esc(w(label))}</label><select id="q-${id}" name="${id}">${opt('', w('all'))}${options}</select></div>`;
  root.innerHTML = `<section class="search" aria-labelledby="q-h">
    <h1 id="q-h">${esc(both('title'))} · ${esc(scope)}</h1>
    <form id="q-form" class="card" aria-label="${esc(w('filters'))}" novalidate>
      <div class="search-filters">
        <fieldset class="period"><legend>${esc(w('period'))}</legend>
          <div class="stack"><label for="q-from">${esc(w('from'))}</label><input id="q-from" name="from" type="date"></div>
          <div class="stack"><label for="q-to">${esc(w('to'))}</label><input id="q-to" name="to" type="date"></div></fieldset>
        ${city ? pick('district', 'district', Object.values(dists).map((d) => opt(d.id, nameOf(d))).join('')) : ''}
        ${who.role === 'street' ? '' : pick('street', 'street', '')}
        ${who.role === 'desk' ? '' : pick('department', 'department', '')}
        ${pick('category', 'category', Object.values(cats).map((c) => opt(c.code, nameOf(c))).join(''))}
        ${pick('status', 'status', STATUSES.map((s) => opt(s, t(`w.${s}`))).join(''))}
        ${pick('urgency', 'urgency', URGENCIES.map((u) => opt(u, t(`urgency.${u}`))).join(''))}
        <div class="stack search-keyword"><label for="q-keyword">${esc(w('keyword'))}</label>
          <input id="q-keyword" name="keyword" type="search" maxlength="100" autocomplete="off" aria-describedby="q-keyword-hint">
          <p id="q-keyword-hint" class="hint">${esc(w('keywordHint'))}</p></div>
        <label class="radio"><input type="checkbox" id="q-breached" name="breached" value="1"> ${esc(w('breached'))}</label>
      </div>
      <div class="row search-actions">
        <button type="submit" class="primary">${esc(w('search'))}</button>
        <button type="button" id="q-reset" class="secondary">${esc(w('reset'))}</button>
        <span class="spacer"></span>
        <button type="button" id="q-xlsx" class="secondary" data-ext="xlsx">${esc(w('xlsx'))}</button>
        <button type="button" id="q-csv" class="secondary" data-ext="csv">${esc(w('csv'))}</button>
      </div>
      <p id="q-export" class="hint" role="status" aria-live="polite"></p>
    </form>
    <section class="card" aria-labelledby="q-results-h">
      <div class="queue-head"><h2 id="q-results-h">${esc(w('results'))}</h2><p id="q-count" class="hint" role="status" aria-live="polite"></p></div>
      <div id="q-results"></div>
      <p class="more"><button type="button" id="q-more" class="secondary" hidden>${esc(w('more'))}</button></p>
    </section></section>`;

  const form = root.querySelector('#q-form');
  const el = (id) => root.querySelector(`#${id}`);
  const streetPick = form.querySelector('#q-street');
  const deptPick = form.querySelector('#q-department');

  // The streets of the chosen district (a city supervisor's) or of the scope.
  const fillStreets = (keep) => {
    if (!streetPick) return;
    const d = form.querySelector('#q-district')?.value || who.district || '';
    const list = sts.filter((s) => !d || s.district_id === d || String(s.id).startsWith(d));
    streetPick.innerHTML = opt('', w('all')) + list.map((s) => opt(s.id, nameOf(s), s.id === keep)).join('');
    if (keep && !list.some((s) => s.id === keep)) streetPick.insertAdjacentHTML('beforeend', opt(keep, nameOf(stBy[keep], keep), true));
  };
  // The departments, then the desks of the community committees of the
  // chosen street (or the street's own): a committee desk (cc-<community>)
  // takes dispatches like a department but is no department row, so its
  // names come from the committees of the street's district (a community's
  // code begins with its street's).
  let committeeAsk = 0;
  const fillDepartments = async (keep) => {
    if (!deptPick) return;
    const street = streetPick?.value || (who.role === 'street' ? who.street : '');
    const ask = ++committeeAsk;
    let ccs = [];
    if (street) {
      const [list] = await Promise.all([committees(street.slice(0, 6)).catch(() => []), nameCommittees([keep])]);
      if (ask !== committeeAsk) return;
      ccs = list.map((c) => c.code).filter((c) => c.startsWith(`cc-${street}`));
    }
    if (isCommitteeDesk(keep) && !ccs.includes(keep)) ccs.push(keep);
    deptPick.innerHTML = opt('', w('all'))
      + `<optgroup label="${esc(w('departments'))}">${deps.map((d) => opt(d.code, nameOf(d), d.code === keep)).join('')}</optgroup>`
      + (ccs.length ? `<optgroup label="${esc(w('committees'))}">${ccs.map((c) => opt(c, depName(c), c === keep)).join('')}</optgroup>` : '');
  };

  /** Shows the filters f in the form. */
  async function show(f) {
    for (const k of ['from', 'to', 'category', 'status', 'urgency', 'keyword', 'district']) {
      const input = form.elements.namedItem(k);
      if (input) input.value = f[k] || '';
    }
    form.elements.namedItem('breached').checked = !!f.breached;
    fillStreets(f.street || '');
    await fillDepartments(f.department || '');
  }
  /** The filters in the form. */
  const current = () => {
    const f = {};
    for (const [k, v] of new FormData(form)) if (String(v).trim()) f[k] = String(v).trim();
    return f;
  };
  /** Puts the filters in the hash without a new history entry (nor a hashchange). */
  const keep = (f) => {
    const q = new URLSearchParams(FIELDS.filter((k) => f[k]).map((k) => [k, f[k]]));
    const base = location.hash.split('?')[0];
    history.replaceState(null, '', String(q) ? `${base}?${q}` : base);
  };

  let rows = [];
  let next = '';
  let query = new URLSearchParams();
  let searchNo = 0;
  const results = el('q-results'), more = el('q-more'), count = el('q-count');

  async function search(f, { append = false } = {}) {
    const no = append ? searchNo : ++searchNo;
    if (!append) {
      query = apiQuery(f);
      rows = [];
      next = '';
      results.setAttribute('aria-busy', 'true');
    }
    const q = new URLSearchParams(query);
    q.set('page_size', String(PAGE));
    if (append) q.set('page_token', next);
    more.disabled = true;
    if (append) more.textContent = w('loadingMore');
    let page;
    try {
      page = await api(`/v1/search/whistles?${q}`);
    } catch (err) {
      if (no !== searchNo || !root.isConnected) return;
      results.removeAttribute('aria-busy');
      more.disabled = false;
      more.textContent = w('more');
      const fields = (err.details || []).map((d) => `${fieldName(d.field)}: ${d.reason}`).join('; ');
      const msg = w('failed', { m: fields || err.message });
      if (append) count.textContent = msg;
      else {
        results.innerHTML = `<p class="errors" role="alert">${esc(msg)}</p>`;
        count.textContent = '';
        more.hidden = true;
      }
      return;
    }
    if (no !== searchNo || !root.isConnected) return;
    const got = page?.whistles || [];
    await nameCommittees(got.flatMap((x) => (x.dispatches || []).map((d) => d.department)));
    if (no !== searchNo || !root.isConnected) return;
    rows.push(...got);
    next = page?.next_page_token || '';
    results.removeAttribute('aria-busy');
    if (!append || !results.querySelector('tbody')) {
      results.innerHTML = rows.length ? table(got) : `<p class="muted empty">${esc(w('none'))}</p>`;
    } else {
      results.querySelector('tbody').insertAdjacentHTML('beforeend', got.map(row).join(''));
      // The first new row takes the focus from the button, so a keyboard user reads on.
      results.querySelector(`tr[data-whistle="${CSS.escape(got[0]?.id || '')}"] [data-timeline]`)?.focus();
    }
    count.textContent = rows.length ? w(next ? 'shown' : 'shownAll', { n: rows.length }) : '';
    more.hidden = !next;
    more.disabled = false;
    more.textContent = w('more');
    root.dataset.loaded = String(Date.now());
  }

  const fieldName = (f) => ({ raised_to: w('to'), raised_from: w('from'), keyword: w('keyword'), street_id: w('street'), district_id: w('district') }[f] || f);
  const head = () => `<thead><tr><th scope="col">${esc(w('whistle'))}</th><th scope="col">${esc(w('street'))}</th>
    <th scope="col">${esc(w('category'))}</th><th scope="col">${esc(w('urgency'))}</th><th scope="col">${esc(w('status'))}</th>
    <th scope="col">${esc(w('department'))}</th><th scope="col">${esc(w('deadline'))}</th><th scope="col">${esc(w('raisedAt'))}</th>
    <th scope="col"><span class="sr-only">${esc(t('timeline'))}</span></th></tr></thead>`;
  const table = (list) => `<table class="results">${head()}<tbody>${list.map(row).join('')}</tbody></table>`;
  function row(x) {
    const title = x.title || nameOf(cats[x.category], x.category) || w('untitled');
    const live = (x.dispatches || []).filter((d) => d.status !== 'CANCELLED' && d.status !== 'RETURNED');
    const breaches = (x.dispatches || []).flatMap((d) => (d.breaches || []).map((c) => w('breachOf', { dept: depName(d.department), clock: t(`clock.${c}`) })));
    // The clock that runs out first among the departments still working.
    const running = live.filter((d) => activeClock(d)?.deadline)
      .sort((a, b) => Date.parse(activeClock(a).deadline) - Date.parse(activeClock(b).deadline))[0];
    const deadline = breaches.length
      ? `<span class="cd cd-late breach-mark">⚠ ${esc(w('breach'))}</span><span class="breach-list">${esc(breaches.join('；'))}</span>`
      : running ? `<span class="muted">${esc(depName(running.department))}</span> ${countdownChip(running)}`
        : x.resolved_at ? `<span class="muted">${esc(w('done', { at: when(x.resolved_at) }))}</span>` : '';
    const depts = live.map((d) => `<li>${esc(depName(d.department))} <span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></li>`).join('');
    const cell = (label, html) => `<td data-label="${esc(w(label))}"><div class="v">${html}</div></td>`;
    return `<tr data-whistle="${esc(x.id)}"${breaches.length ? ' class="risk-late" data-breached="1"' : ''}>`
      + cell('whistle', `<span class="w-title">${esc(title)}</span>${x.address ? `<br><span class="muted">${esc(x.address)}</span>` : ''}`)
      + cell('street', esc(nameOf(stBy[x.street_id], x.street_id)))
      + cell('category', esc(nameOf(cats[x.category], x.category)))
      + cell('urgency', esc(t(`urgency.${x.urgency}`)))
      + cell('status', `<span class="badge w-${esc(x.status)}">${esc(t(`w.${x.status}`))}</span>`)
      + cell('department', depts ? `<ul class="plain">${depts}</ul>` : '')
      + cell('deadline', deadline)
      + cell('raisedAt', `<time datetime="${esc(x.raised_at)}">${esc(when(x.raised_at))}</time>`)
      + `<td><button type="button" class="ghost" data-timeline="${esc(x.id)}" aria-label="${esc(w('timelineOf', { what: title }))}">${esc(t('timeline'))}</button></td></tr>`;
  }

  // The register of the form's filters, fetched with the token, then saved;
  // filters changed since the last search are searched too, so the table
  // shows what the file holds.
  async function download(ext, button) {
    const status = el('q-export');
    const f = current();
    if (String(apiQuery(f)) !== String(query)) {
      keep(f);
      search(f);
    }
    button.disabled = true;
    status.textContent = w('exporting');
    try {
      const { blob, filename } = await fetchFile(`/v1/registers/whistles.${ext}?${apiQuery(f)}`);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = filename || `whistle-register.${ext}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      status.textContent = w('exported', { name: a.download });
    } catch (err) {
      const fields = (err.details || []).map((d) => `${fieldName(d.field)}: ${d.reason}`).join('; ');
      status.textContent = w('exportFailed', { m: fields || err.message });
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = current();
    keep(f);
    search(f);
  });
  el('q-reset').addEventListener('click', async () => {
    await show({});
    keep({});
    search({});
  });
  for (const b of [el('q-xlsx'), el('q-csv')]) b.addEventListener('click', () => download(b.dataset.ext, b));
  form.querySelector('#q-district')?.addEventListener('change', () => { fillStreets(''); fillDepartments(deptPick?.value || ''); });
  streetPick?.addEventListener('change', () => fillDepartments(deptPick?.value || ''));
  more.addEventListener('click', () => { if (next) search(null, { append: true }); });
  results.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-timeline]');
    if (b) showTimeline(b.dataset.timeline);
  });
  // A search pasted into the address bar (or the back button) while the page is up.
  const onHash = () => {
    if (!/^#\/[^/?]+\/search(\?|$)/.test(location.hash)) return; // leaving the page: the router's
    const f = filtersOfHash();
    show(f).then(() => search(f));
  };
  window.addEventListener('hashchange', onHash);

  const f = filtersOfHash();
  await show(f);
  await search(f);
  return () => { window.removeEventListener('hashchange', onHash); searchNo++; };
}
