// Small helpers shared by the pages: escaping, toasts, and the countdowns
// that every page shows the same way (green, amber from 80 % of the limit,
// red once breached).
import { t, duration } from './i18n.js';
import { now as serverNow } from './clock.js';
import { fetchFile } from './api.js';

/** Escapes text for HTML. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

let toastTimer;
/** Shows a short message in the live region. */
export function toast(msg, kind = 'ok') {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

/**
 * The page-wide status line with this id (and class), under the header,
 * created hidden on first use: the live stream's banner, the offline note.
 */
export function statusLine(id, live = 'polite') {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement('p');
    el.id = id;
    el.className = id;
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', live);
    el.hidden = true;
    const top = document.querySelector('header.top');
    if (top) top.after(el); else document.body.prepend(el);
  }
  return el;
}

/** Shows an API error, naming the offending fields. */
export function toastError(err) {
  const fields = (err.details || []).map((d) => `${d.field}: ${d.reason}`).join('; ');
  toast(t('err', { m: fields ? `${err.message} (${fields})` : err.message }), 'error');
}

/** The clock a dispatch is racing now: its start, deadline and name; null when done. */
export function activeClock(d) {
  const dl = d.deadlines || {};
  const start = d.sla_started_at || d.dispatched_at;
  switch (d.status) {
    case 'PENDING': return { clock: 'ack', start: d.dispatched_at || start, deadline: dl.ack_by };
    case 'ACKNOWLEDGED': return { clock: 'arrive', start, deadline: dl.arrive_by };
    case 'ARRIVED': return { clock: 'resolve', start, deadline: dl.resolve_by };
    default: return null;
  }
}

/** ok, warn (80 % of the limit used) or late, and the text, for a clock at now. */
export function countdown(start, deadline, now = serverNow()) {
  const s = Date.parse(start), e = Date.parse(deadline);
  if (!Number.isFinite(e)) return { level: 'ok', text: '', frac: 0 };
  const left = e - now;
  const frac = Number.isFinite(s) && e > s ? (now - s) / (e - s) : (left < 0 ? 1 : 0);
  const level = left < 0 ? 'late' : frac >= 0.8 ? 'warn' : 'ok';
  return { level, frac, text: left < 0 ? t('over', { t: duration(left) }) : t('left', { t: duration(left) }) };
}

/** The risk of a dispatch now: late, warn, ok, or '' when it is done. */
export function risk(d, now = serverNow()) {
  const c = activeClock(d);
  if (!c) return '';
  return countdown(c.start, c.deadline, now).level;
}

/** The markup of a live countdown chip for a dispatch; the ticker keeps it current. */
export function countdownChip(d) {
  const c = activeClock(d);
  if (!c || !c.deadline) return '';
  const cd = countdown(c.start, c.deadline);
  return `<span class="cd cd-${cd.level}" data-start="${esc(c.start)}" data-deadline="${esc(c.deadline)}">`
    + `<span class="cd-clock">${esc(t('due', { clock: t(`clock.${c.clock}`) }))}</span> `
    + `<span class="cd-text">${esc(cd.text)}</span></span>`;
}

// One ticker for every countdown on the page, on the services' clock.
setInterval(() => {
  const now = serverNow();
  for (const el of document.querySelectorAll('.cd[data-deadline]')) {
    const cd = countdown(el.dataset.start, el.dataset.deadline, now);
    const cls = `cd cd-${cd.level}`;
    if (el.className !== cls) el.className = cls;
    const txt = el.querySelector('.cd-text');
    if (txt && txt.textContent !== cd.text) txt.textContent = cd.text;
  }
}, 1000);

/** Downloads rows (arrays) as a CSV file, with a BOM so spreadsheet programs read the Chinese. */
export function downloadCSV(name, rows) {
  const cell = (v) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const blob = new Blob(['\ufeff' + rows.map((r) => r.map(cell).join(',')).join('\r\n')], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Opens a modal dialog with the given title and body markup; returns the dialog. */
export function openDialog(title, bodyHTML) {
  let dlg = document.getElementById('dialog');
  if (!dlg) {
    dlg = document.createElement('dialog');
    dlg.id = 'dialog';
    document.body.append(dlg);
  }
  dlg.setAttribute('aria-labelledby', 'dialog-title');
  dlg.innerHTML = `<div class="dialog-head"><h2 id="dialog-title">${esc(title)}</h2>`
    + `<button type="button" class="ghost" data-close>${esc(t('close'))}</button></div><div class="dialog-body">${bodyHTML}</div>`;
  dlg.querySelector('[data-close]').addEventListener('click', () => dlg.close());
  dlg.showModal();
  return dlg;
}

// communityLine names the community (社区/村) routing placed the whistle in,
// or says it found none (no community boundary loaded, or the point in none).
export function communityLine(x) {
  const name = x.community_code ? `${x.community_name || ''} ${x.community_code}`.trim() : t('community.none');
  return `<p class="muted community" data-community="${esc(x.community_code || '')}">${esc(t('community'))}：${esc(name)}</p>`;
}

/**
 * The printed forms of a dispatch: its 派单单, and its 督办通知书 once under 督办 (level 2 or more).
 * Each button carries the form's path in data-form.
 */
export function formButtons(d) {
  const path = `/v1/dispatches/${encodeURIComponent(d.id)}`;
  const btn = (file, label) => `<button type="button" class="ghost" data-form="${esc(`${path}/${file}`)}">${esc(t(label))}</button>`;
  return btn('order.pdf', 'form.order') + ((d.escalation_level || 0) >= 2 ? btn('supervision-notice.pdf', 'form.notice') : '');
}

/**
 * The thumbnails of a report's photos, to be loaded by loadImages; alt(i)
 * names the i-th (from 1). Empty when it has none.
 */
export function reportPhotos(r, alt) {
  const imgs = (r.attachments || []).filter((a) => a.has_thumbnail).map((a, i) => `<img data-src="/v1/discovery/reports/${esc(r.id)}/attachments/${esc(a.id)}/thumbnail"`
    + ` alt="${esc(alt(i + 1))}" width="96" height="72">`).join('');
  return imgs ? `<div class="report-photos">${imgs}</div>` : '';
}

/**
 * Loads the images of container marked data-src with the bearer token (an
 * <img src> cannot send it); returns the function that releases them.
 */
export function loadImages(container) {
  const urls = [];
  let live = true;
  for (const img of container.querySelectorAll('img[data-src]')) {
    fetchFile(img.dataset.src).then(({ blob }) => {
      if (!live || !img.isConnected) return;
      const u = URL.createObjectURL(blob);
      urls.push(u);
      img.src = u;
    }).catch(() => {});
  }
  return () => { live = false; for (const u of urls) URL.revokeObjectURL(u); };
}
