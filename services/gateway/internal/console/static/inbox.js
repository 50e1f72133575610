// The street committee's inbox (issue 13): untriaged reports of grid
// workers, residents and the 12345 hotline, nearby duplicates grouped by the
// server. Per group the street handles it locally (with a result), merges it
// into one of its open whistles, blows the whistle on it, or does not take it
// up (不予受理, with the reason). Its labels live
// here (Chinese first, English alongside), so the shared dictionary needs no
// edit; t() is still the fallback for the shared ones.
import { api, categories, byKey } from './api.js';
import { t, nameOf, pageWords, when } from './i18n.js';
import { esc, toast, toastError, countdown, reportPhotos, loadImages } from './ui.js';
import { sync } from './clock.js';
import { follow } from './live.js';

const OPEN = new Set(['RAISED', 'ROUTED', 'RESPONDING', 'REOPENED', 'UNROUTABLE']);

const words = {
  zh: {
    title: '收件箱', intro: '网格员、居民和12345热线的上报，待街道分拣。相邻的重复上报已归为一组。',
    empty: '收件箱为空。', refresh: '刷新', reports: '{n} 条上报', triageBy: '分拣时限',
    src: { GRID: '网格员', RESIDENT: '居民', HOTLINE: '12345', STREET: '街道' },
    action: '处理方式', local: '街道自行处置', merge: '并入已有哨单', blow: '吹哨', reject: '不予受理',
    result: '处置结果（不予受理时填写理由）', whistle: '并入的哨单', noWhistle: '（无进行中的哨单）', go: '确认',
    done: '已分拣 {n} 条', needResult: '请填写处置结果', needWhistle: '请选择哨单', contact: '有联系方式',
    waiting: '共 {n} 条待分拣，最新的在前。', older: '更早的上报', newest: '回到最新', thumb: '现场照片 {n}',
  },
  en: {
    title: 'Inbox', intro: 'Reports from grid workers, residents and the 12345 hotline, waiting for triage. Nearby duplicates are grouped.',
    empty: 'The inbox is empty.', refresh: 'Refresh', reports: '{n} reports', triageBy: 'Triage by',
    src: { GRID: 'Grid worker', RESIDENT: 'Resident', HOTLINE: '12345', STREET: 'Street' },
    action: 'Action', local: 'Handle locally', merge: 'Merge into a whistle', blow: 'Blow the whistle', reject: 'Not taken up',
    result: 'Result (the reason, when not taken up)', whistle: 'Whistle to merge into', noWhistle: '(no open whistle)', go: 'Confirm',
    done: '{n} triaged', needResult: 'Enter the result', needWhistle: 'Choose a whistle', contact: 'has contact',
    waiting: '{n} waiting, newest first.', older: 'Older reports', newest: 'Back to the newest', thumb: 'Photo {n}',
  },
};

const { w, both } = pageWords(words);

export async function render(root, who) {
  const [cats] = await Promise.all([categories(), sync()]);
  const catBy = byKey(cats);
  root.innerHTML = `<section class="card" aria-labelledby="inbox-h">
    <h1 id="inbox-h">${esc(both('title'))}</h1>
    <p class="hint">${esc(w('intro'))}</p>
    <button type="button" id="inbox-refresh" class="secondary">${esc(w('refresh'))}</button>
    <p id="inbox-waiting" class="hint"></p>
    <div id="inbox-groups" aria-live="polite"></div>
    <nav id="inbox-pages" class="row" aria-label="${esc(both('title'))}"></nav></section>`;
  const list = root.querySelector('#inbox-groups');
  const pages = root.querySelector('#inbox-pages');
  let stopped = false;
  let release = () => {}; // frees the photos shown, on redraw
  // The page shown: '' is the newest; older pages by the server's token.
  let pageToken = '';

  async function load() {
    const q = pageToken ? `?page_token=${encodeURIComponent(pageToken)}` : '';
    const [inbox, page] = await Promise.all([
      api(`/v1/streets/${encodeURIComponent(who.street)}/inbox${q}`),
      api(`/v1/whistles?street_id=${encodeURIComponent(who.street)}&page_size=50`).catch(() => ({})),
    ]);
    if (stopped) return;
    const open = (page?.whistles || []).filter((x) => OPEN.has(x.status));
    const groups = inbox?.groups || [];
    root.querySelector('#inbox-waiting').textContent = inbox?.waiting ? w('waiting', { n: inbox.waiting }) : '';
    pages.innerHTML = (pageToken ? `<button type="button" class="secondary" data-page="">${esc(w('newest'))}</button>` : '')
      + (inbox?.next_page_token
        ? `<button type="button" class="secondary" data-page="${esc(inbox.next_page_token)}">${esc(w('older'))}</button>` : '');
    release();
    if (!groups.length) {
      list.innerHTML = `<p>${esc(w('empty'))}</p>`;
      return;
    }
    list.innerHTML = groups.map((g, i) => group(g, i, open, catBy)).join('');
    release = loadImages(list);
  }

  list.addEventListener('change', (ev) => {
    if (ev.target.name !== 'action') return;
    const form = ev.target.form;
    form.querySelector('.need-result').hidden = ev.target.value !== 'HANDLE_LOCALLY' && ev.target.value !== 'REJECT';
    form.querySelector('.need-whistle').hidden = ev.target.value !== 'MERGE';
  });
  list.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const data = new FormData(form);
    const action = data.get('action');
    const body = { report_ids: data.getAll('report_id'), action };
    const errors = form.querySelector('.errors');
    errors.textContent = '';
    if (action === 'HANDLE_LOCALLY' || action === 'REJECT') {
      body.result = String(data.get('result') || '').trim();
      if (!body.result) { errors.textContent = w('needResult'); form.querySelector('textarea').focus(); return; }
    }
    if (action === 'MERGE') {
      body.whistle_id = data.get('whistle_id') || '';
      if (!body.whistle_id) { errors.textContent = w('needWhistle'); form.querySelector('select').focus(); return; }
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const out = await api('/v1/discovery/reports:triage', { method: 'POST', body });
      toast(w('done', { n: (out?.reports || []).length }));
      await load();
      list.querySelector('input, button, select')?.focus();
    } catch (err) {
      errors.textContent = (err.details || []).map((d) => `${d.field}: ${d.reason}`).join('; ') || err.message;
      toastError(err);
      button.disabled = false;
    }
  });
  root.querySelector('#inbox-refresh').addEventListener('click', () => load().catch(toastError));
  pages.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-page]');
    if (!b) return;
    pageToken = b.dataset.page;
    load().catch(toastError);
  });
  await load().catch(toastError);
  // Reports arrive on the live stream too; refresh then, unless the street is
  // in the middle of triaging a group (a redraw would lose what it typed).
  const busy = () => document.activeElement?.matches('#inbox-groups textarea, #inbox-groups select')
    || [...list.querySelectorAll('textarea')].some((x) => x.value);
  const stop = follow(() => (busy() ? null : load().catch(() => {})));
  return () => { stopped = true; stop(); release(); };
}

function group(g, i, open, catBy) {
  const id = `g${i}`;
  const cd = countdown(g.reports?.[0]?.received_at, g.triage_by);
  const reports = (g.reports || []).map((r) => `<li>
      <input type="hidden" name="report_id" value="${esc(r.id)}">
      <span class="badge">${esc(w(`src.${r.source}`))}</span>
      ${r.external_number ? `<code>${esc(r.external_number)}</code>` : ''}
      ${esc(r.description)}${r.address ? ` · ${esc(r.address)}` : ''}
      <span class="hint">${esc(when(r.received_at))}${r.has_contact ? ` · ${esc(w('contact'))}` : ''}</span>
      ${reportPhotos(r, (n) => w('thumb', { n }))}</li>`).join('');
  const options = open.length
    ? open.map((x) => `<option value="${esc(x.id)}">${esc(x.title || x.description?.slice(0, 40) || x.id)} · ${esc(t(`w.${x.status}`))}</option>`).join('')
    : `<option value="">${esc(w('noWhistle'))}</option>`;
  return `<form class="card stack inbox-group" aria-labelledby="${id}-h">
    <h2 id="${id}-h">${esc(nameOf(catBy[g.category], g.category))} · ${esc(w('reports', { n: g.reports?.length || 0 }))}</h2>
    <p><span class="cd cd-${cd.level}" data-start="${esc(g.reports?.[0]?.received_at || '')}" data-deadline="${esc(g.triage_by || '')}">
      <span class="cd-clock">${esc(w('triageBy'))}</span> <span class="cd-text">${esc(cd.text)}</span></span></p>
    <ul>${reports}</ul>
    <fieldset><legend>${esc(both('action'))}</legend>
      <label class="radio"><input type="radio" name="action" value="HANDLE_LOCALLY" checked> ${esc(both('local'))}</label>
      <label class="radio"><input type="radio" name="action" value="MERGE"${open.length ? '' : ' disabled'}> ${esc(both('merge'))}</label>
      <label class="radio"><input type="radio" name="action" value="BLOW_WHISTLE"> ${esc(both('blow'))}</label>
      <label class="radio"><input type="radio" name="action" value="REJECT"> ${esc(both('reject'))}</label>
    </fieldset>
    <div class="stack need-result"><label for="${id}-result">${esc(both('result'))}</label>
      <textarea id="${id}-result" name="result" rows="2" maxlength="4000"></textarea></div>
    <div class="stack need-whistle" hidden><label for="${id}-whistle">${esc(both('whistle'))}</label>
      <select id="${id}-whistle" name="whistle_id">${options}</select></div>
    <div class="errors" role="alert"></div>
    <button type="submit" class="primary">${esc(w('go'))}</button></form>`;
}
