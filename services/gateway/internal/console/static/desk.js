// The duty desk's page, built for a phone: the queue soonest deadline first,
// each dispatch with a colour-coded countdown of the clock it is racing and
// one big button for the next step (签收, 到场, 办结), plus 退单 with a reason.
import { api, all, categories, streets, byKey } from './api.js';
import { t, nameOf, when } from './i18n.js';
import { esc, toast, toastError, activeClock, countdownChip, risk } from './ui.js';
import { follow } from './live.js';

export async function render(root, who) {
  // The queue is what the desk came for: ask for it at once, beside the names.
  // A long queue shows its first page (the soonest deadlines) while the rest loads.
  let early = null;
  let namesReady = false;
  let first = all('/v1/dispatches', 'dispatches', { onPage: (part) => { early = part; if (namesReady && first) { items = part; draw(); } } });
  first.catch(() => {});
  const [cats, sts] = await Promise.all([categories().then((c) => byKey(c)), streets(who.district).then((s) => byKey(s, 'id'))]);
  namesReady = true;
  root.innerHTML = `<section aria-labelledby="q-h" class="desk">
    <div class="queue-head"><h1 id="q-h">${esc(t('desk.queue'))}</h1><p id="q-counts" class="counts" aria-live="polite"></p></div>
    <div id="queue" class="queue"></div></section>`;
  const queue = root.querySelector('#queue');
  let items = early || [];
  let stale = false;

  const deadlineOf = (d) => Date.parse(activeClock(d)?.deadline || '') || Infinity;
  function draw() {
    items.sort((a, b) => deadlineOf(a) - deadlineOf(b) || a.id.localeCompare(b.id));
    const n = { PENDING: 0, ACKNOWLEDGED: 0, ARRIVED: 0 };
    let late = 0;
    for (const d of items) { n[d.status] = (n[d.status] || 0) + 1; if (risk(d) === 'late') late++; }
    root.querySelector('#q-counts').textContent = t('desk.counts', { p: n.PENDING, a: n.ACKNOWLEDGED, r: n.ARRIVED, b: late });
    queue.innerHTML = items.length ? items.map((d) => card(d, cats, sts)).join('') : `<p class="muted">${esc(t('noDispatches'))}</p>`;
  }
  async function refresh() {
    if (!alive) return;
    if (queue.querySelector('.inline-form')) { stale = true; return; }
    stale = false;
    try {
      const pending = first || all('/v1/dispatches', 'dispatches');
      first = null;
      const list = await pending;
      if (!alive) return;
      items = list;
      draw();
      root.dataset.loaded = String(items.length);
    } catch (err) {
      toastError(err);
    }
  }
  const replace = (d) => {
    const i = items.findIndex((x) => x.id === d.id);
    const open = ['PENDING', 'ACKNOWLEDGED', 'ARRIVED'].includes(d.status);
    if (i >= 0) { if (open) items[i] = d; else items.splice(i, 1); } else if (open) items.push(d);
    draw();
  };
  const act = async (id, action, body = {}) => {
    try {
      const d = await api(`/v1/dispatches/${encodeURIComponent(id)}:${action}`, { method: 'POST', body });
      toast(`${t(`d.${d.status}`)} · ${nameOf(cats[d.category], d.category)}`);
      if (d.arrival_far) toast(t('desk.far', { m: Math.round(d.arrival_distance_m) }), 'warn');
      replace(d);
      if (stale) refresh();
      return d;
    } catch (err) {
      toastError(err);
      return null;
    }
  };
  const closeForm = (card) => {
    card.querySelector('.inline-form')?.remove();
    for (const b of card.querySelectorAll('.actions button')) b.disabled = false;
    if (stale) refresh();
  };
  const inlineForm = (card, html, onOK) => {
    card.querySelector('.inline-form')?.remove();
    const f = document.createElement('form');
    f.className = 'inline-form stack';
    f.innerHTML = `${html}<div class="row"><button type="submit" class="primary">${esc(t('desk.confirm'))}</button>`
      + `<button type="button" class="ghost" data-dismiss>${esc(t('desk.cancel'))}</button></div>`;
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const ok = await onOK(new FormData(f));
      if (ok) closeForm(card);
    });
    f.querySelector('[data-dismiss]').addEventListener('click', () => closeForm(card));
    card.append(f);
    f.querySelector('input, textarea')?.focus();
  };

  queue.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-act]');
    if (!b) return;
    const card = b.closest('[data-dispatch]');
    const id = card.dataset.dispatch;
    const d = items.find((x) => x.id === id);
    switch (b.dataset.act) {
      case 'acknowledge':
        b.disabled = true;
        await act(id, 'acknowledge');
        break;
      case 'arrive': {
        b.disabled = true;
        const where = await locate(b);
        if (where) {
          await act(id, 'arrive', { location: where });
          break;
        }
        b.disabled = false;
        const loc = d?.location || {};
        inlineForm(card, `<p class="hint">${esc(t('desk.manual'))}</p><div class="row">
          <div class="stack"><label for="lat-${esc(id)}">${esc(t('f.lat'))}</label><input id="lat-${esc(id)}" name="lat" type="number" step="0.000001" required value="${esc(loc.lat ?? '')}" inputmode="decimal"></div>
          <div class="stack"><label for="lng-${esc(id)}">${esc(t('f.lng'))}</label><input id="lng-${esc(id)}" name="lng" type="number" step="0.000001" required value="${esc(loc.lng ?? '')}" inputmode="decimal"></div></div>`,
        (fd) => act(id, 'arrive', { location: { lat: parseFloat(fd.get('lat')), lng: parseFloat(fd.get('lng')) } }));
        break;
      }
      case 'resolve':
        inlineForm(card, `<label for="sum-${esc(id)}">${esc(t('desk.summary'))}</label><textarea id="sum-${esc(id)}" name="summary" rows="2" required maxlength="2000"></textarea>`,
          (fd) => act(id, 'resolve', { summary: String(fd.get('summary') || '') }));
        break;
      case 'return':
        inlineForm(card, `<label for="rsn-${esc(id)}">${esc(t('desk.reason'))}</label><textarea id="rsn-${esc(id)}" name="reason" rows="2" required maxlength="1000"></textarea>`,
          (fd) => act(id, 'return', { reason: String(fd.get('reason') || '') }));
        break;
      case 'extend': {
        // 延期: ask the supervisor for a later deadline of the clock being raced.
        const c = activeClock(d);
        const base = Math.max(Date.now(), Date.parse(c?.deadline || '') || 0) + 30 * 60000;
        const local = new Date(base - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
        inlineForm(card, `<label for="clk-${esc(id)}">${esc(t('desk.extClock'))}</label>
          <select id="clk-${esc(id)}" name="clock">${['ack', 'arrive', 'resolve'].map((k) => `<option value="${k}"${k === c?.clock ? ' selected' : ''}>${esc(t(`clock.${k}`))}</option>`).join('')}</select>
          <label for="until-${esc(id)}">${esc(t('desk.extUntil'))}</label><input id="until-${esc(id)}" name="until" type="datetime-local" required value="${local}">
          <label for="ext-${esc(id)}">${esc(t('desk.extReason'))}</label><textarea id="ext-${esc(id)}" name="reason" rows="2" required maxlength="1000"></textarea>`,
        async (fd) => {
          const until = new Date(String(fd.get('until'))).toISOString();
          const r = await act(id, 'requestExtension', { clock: fd.get('clock'), until, reason: String(fd.get('reason') || '') });
          if (r) toast(t('desk.extAsked'));
          return r;
        });
        break;
      }
      case 'details': {
        const box = card.querySelector('.details');
        if (!box.hidden) { box.hidden = true; b.setAttribute('aria-expanded', 'false'); break; }
        try {
          const w = await api(`/v1/whistles/${encodeURIComponent(d.whistle_id)}`);
          box.innerHTML = `${w.title ? `<p><strong>${esc(w.title)}</strong></p>` : ''}<p>${esc(w.description)}</p>`
            + `<p class="muted">${esc(w.address || '')} ${w.location ? `(${w.location.lat}, ${w.location.lng})` : ''} · ${esc(t(`urgency.${w.urgency || 'NORMAL'}`))}</p>`;
          box.hidden = false;
          b.setAttribute('aria-expanded', 'true');
        } catch (err) {
          toastError(err);
        }
        break;
      }
      default:
    }
  });

  let alive = true;
  if (items.length) draw();
  await refresh();
  const stop = follow(refresh);
  return () => { alive = false; stop(); };
}

/** The device's position, or null when it cannot be had within a few seconds. */
function locate(button) {
  if (!navigator.geolocation) return Promise.resolve(null);
  const label = button.textContent;
  button.textContent = t('desk.locating');
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: +p.coords.latitude.toFixed(6), lng: +p.coords.longitude.toFixed(6) }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 },
    );
  }).finally(() => { button.textContent = label; });
}

function card(d, cats, sts) {
  const lvl = risk(d);
  const btn = (act, label, cls = 'primary') => `<button type="button" class="${cls}" data-act="${act}">${esc(label)}</button>`;
  const acts = [];
  if (d.status === 'PENDING') acts.push(btn('acknowledge', t('desk.ack')), btn('return', t('desk.return'), 'secondary'));
  if (d.status === 'ACKNOWLEDGED') acts.push(btn('arrive', t('desk.arrive')), btn('resolve', t('desk.resolve'), 'secondary'), btn('return', t('desk.return'), 'secondary'));
  if (d.status === 'ARRIVED') acts.push(btn('resolve', t('desk.resolve')));
  return `<article class="dispatch risk-${lvl}" data-dispatch="${esc(d.id)}" data-whistle="${esc(d.whistle_id)}" data-status="${esc(d.status)}" aria-label="${esc(nameOf(cats[d.category], d.category))} ${esc(t(`d.${d.status}`))}">
    <header><h3>${esc(nameOf(cats[d.category], d.category))}</h3><span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></header>
    <p class="muted">${esc(nameOf(sts[d.street_id], d.street_id))} · <time datetime="${esc(d.dispatched_at)}">${esc(when(d.dispatched_at))}</time>${d.role ? ` · ${esc(t(`role.d.${d.role}`))}` : ''}${(d.breaches || []).length ? ` · <span class="late-text">${esc(t('sup.breached'))}: ${esc(d.breaches.map((c) => t(`clock.${c}`)).join('、'))}</span>` : ''}</p>
    <p>${countdownChip(d)}</p>
    <div class="actions">${acts.join('')}<button type="button" class="ghost" data-act="extend">${esc(t('desk.extend'))}</button><button type="button" class="ghost" data-act="details" aria-expanded="false">${esc(t('desk.details'))}</button></div>
    <div class="details" hidden></div>
  </article>`;
}
