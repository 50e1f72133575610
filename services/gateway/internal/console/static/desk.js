// The duty desk's page, built for a phone: the queue soonest deadline first,
// each dispatch with a colour-coded countdown of the clock it is racing and
// one big button for the next step (签收, 到场, 办结), plus 退单 with a reason.
import { api, all, upload, openDocument, categories, streets, byKey } from './api.js';
import { t, nameOf, when } from './i18n.js';
import { esc, toast, toastError, activeClock, countdownChip, risk, communityLine, formButtons } from './ui.js';
import { now as serverNow, sync, scale as clockScale } from './clock.js';
import { follow } from './live.js';
import { deskAlerts } from './alerts.js';
import { openBoard, boardLabel } from './board.js';

// The first page fills a phone's screen several times over and comes back
// quickly; the rest of the queue follows in pages of 200.
const FIRST_PAGE = 50;
// Cards drawn per frame: a page of 200 is drawn as it arrives (~20 ms of
// work); only a backlog (pages that came before the names) waits a frame.
const CHUNK = 200;
// 退单 reason codes, as the API's enum names (whistle.response.v1.Dispatch.ReturnCode).
const RETURN_CODES = ['NOT_OUR_REMIT', 'WRONG_LOCATION', 'DUPLICATE', 'NEEDS_ANOTHER_DEPARTMENT'];
// A dispatch not yet on site this close to its arrival deadline (services' time) calls the desk.
const DUE_SOON_MS = 5 * 60000;
// The streamed events that call the desk, by name: the alert's kind.
const CALLS = { 'dispatch.created': 'new', 'sla.warning': 'warning', 'sla.breached': 'level', 'sla.escalated': 'level' };
const LEVELS = { 1: 'remind', 2: 'supervise', 3: 'list' };

export async function render(root, who) {
  // The queue is what the desk came for: ask for it at once, beside the names
  // and the services' clock. The service sorts it by deadline, so each page
  // is appended as it arrives; pages that come before the names wait.
  const arrived = [];
  let arrivedAll = false;
  let onPage = (page, last) => { arrived.push(...page); arrivedAll = last; };
  const first = all('/v1/dispatches', 'dispatches', { firstPageSize: FIRST_PAGE, onPage: (page, last) => onPage(page, last) });
  first.catch(() => {});
  const [cats, sts] = await Promise.all([categories().then((c) => byKey(c)), streets(who.district).then((s) => byKey(s, 'id')), sync()]);
  root.innerHTML = `<section aria-labelledby="q-h" class="desk">
    <div class="queue-head"><h1 id="q-h">${esc(t('desk.queue'))}</h1><p id="q-counts" class="counts" aria-live="polite"></p></div>
    <div id="desk-alerts" class="desk-alerts"></div>
    <div id="queue" class="queue"></div></section>`;
  const queue = root.querySelector('#queue');
  const alerts = deskAlerts(root.querySelector('#desk-alerts'), {
    baseTitle: `${t('nav.desk')} · Whistle`,
    onOpen: (id) => {
      const el = id && queue.querySelector(`[data-dispatch="${CSS.escape(id)}"]`);
      el?.scrollIntoView({ block: 'center' });
      el?.focus?.();
    },
  });
  let items = [];
  let stale = false;
  // The photos this page uploaded, by dispatch: shown on the card with their hashes.
  const evidence = {};

  const deadlineOf = (d) => Date.parse(activeClock(d)?.deadline || '') || Infinity;
  const before = (a, b) => deadlineOf(a) - deadlineOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  function count() {
    const n = { PENDING: 0, ACKNOWLEDGED: 0, ARRIVED: 0 };
    let late = 0;
    for (const d of items) { n[d.status] = (n[d.status] || 0) + 1; if (risk(d) === 'late') late++; }
    root.querySelector('#q-counts').textContent = t('desk.counts', { p: n.PENDING, a: n.ACKNOWLEDGED, r: n.ARRIVED, b: late });
  }
  // The first load draws a chunk of cards at a time: the first screenful at
  // once, the rest one chunk per frame, so the page answers taps (and reads
  // the next page) while a long queue is still being drawn. A redraw (a live
  // update) replaces every card at once, so the scroll position stays.
  let backlog = [];
  let frame = 0;
  function paint() {
    frame = 0;
    queue.insertAdjacentHTML('beforeend', backlog.splice(0, CHUNK).map((d) => card(d, cats, sts, evidence[d.id])).join(''));
    if (backlog.length) frame = requestAnimationFrame(paint);
  }
  function show(list) {
    backlog.push(...list);
    if (!frame) paint();
  }
  function draw() {
    items.sort(before);
    count();
    cancelAnimationFrame(frame);
    frame = 0;
    backlog = [];
    queue.innerHTML = items.length ? items.map((d) => card(d, cats, sts, evidence[d.id])).join('') : `<p class="muted">${esc(t('noDispatches'))}</p>`;
  }
  // The first load appends page by page; a page out of order redraws all.
  function append(page, last) {
    if (!alive) return;
    const sorted = page.every((d, i) => before(i ? page[i - 1] : items[items.length - 1] || d, d) <= 0);
    items.push(...page);
    if (!sorted) draw();
    else if (page.length) { count(); show(page); }
    if (last) {
      if (!items.length) draw();
      root.dataset.loaded = String(items.length);
    }
  }
  async function refresh() {
    if (!alive) return;
    if (queue.querySelector('.inline-form')) { stale = true; return; }
    stale = false;
    try {
      const list = await all('/v1/dispatches', 'dispatches');
      if (!alive) return;
      // A form opened while the list was on its way stays open: the redraw
      // waits until it closes (a redraw would discard what the desk typed).
      if (queue.querySelector('.inline-form')) { stale = true; return; }
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
      if (action === 'arrive') toast(arrivalText(d), d.arrival_far || d.arrival_unlocated ? 'warn' : 'ok');
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
  // The photo chosen in a form goes up after its action succeeded (a failed
  // upload never undoes the action; the toast says why it failed).
  const attach = async (d, fd, stage) => {
    const file = fd.get('photo');
    if (!(file instanceof File) || !file.size) return;
    try {
      const a = await upload(`/v1/whistles/${encodeURIComponent(d.whistle_id)}/attachments?stage=${stage}&file_name=${encodeURIComponent(file.name || 'photo.jpg')}`, file);
      (evidence[d.id] ||= []).push(a);
      toast(t('desk.photoSaved', { h: a.sha256.slice(0, 12) }));
      draw();
    } catch (err) {
      toastError(err);
    }
  };
  const inlineForm = (card, html, onOK, confirm = t('desk.confirm')) => {
    card.querySelector('.inline-form')?.remove();
    const f = document.createElement('form');
    f.className = 'inline-form stack';
    f.innerHTML = `${html}<div class="row"><button type="submit" class="primary">${esc(confirm)}</button>`
      + `<button type="button" class="ghost" data-dismiss>${esc(t('desk.cancel'))}</button></div>`;
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const submit = f.querySelector('button[type="submit"]');
      submit.disabled = true;
      const ok = await onOK(new FormData(f));
      submit.disabled = false;
      if (ok) closeForm(card);
    });
    f.querySelector('input[type="file"]')?.addEventListener('change', (ev) => preview(ev.target));
    f.querySelector('[data-dismiss]').addEventListener('click', () => closeForm(card));
    card.append(f);
    f.querySelector('textarea, input:not([type="file"])')?.focus();
  };

  queue.addEventListener('click', async (ev) => {
    const form = ev.target.closest('button[data-form]');
    if (form) openDocument(form.dataset.form).catch(toastError);
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
        // 到场: the phone's position is asked for at once; the desk may add a
        // photo of the scene while it comes, and confirms. Without a position
        // (refused, no signal) the arrival is still recorded, marked 未定位.
        const where = locate();
        inlineForm(card, `<p class="hint where" data-where="locating" aria-live="polite">${esc(t('desk.locating'))}</p>${photoField(id, 'arrival')}`,
          async (fd) => {
            const pos = await where;
            const body = pos ? { location: { lat: pos.lat, lng: pos.lng }, coord_sys: 'WGS84', ...(pos.accuracy ? { accuracy_m: pos.accuracy } : {}) } : {};
            const done = await act(id, 'arrive', body);
            if (done) await attach(done, fd, 'arrival');
            return done;
          }, t('desk.confirmArrive'));
        where.then((pos) => {
          const el = card.querySelector('.where');
          if (!el) return;
          el.dataset.where = pos ? 'located' : 'unlocated';
          el.textContent = pos ? t('desk.located', { acc: Math.round(pos.accuracy || 0) }) : t('desk.noPosition');
        });
        break;
      }
      case 'resolve':
        inlineForm(card, `<label for="sum-${esc(id)}">${esc(t('desk.summary'))}</label><textarea id="sum-${esc(id)}" name="summary" rows="2" required maxlength="2000"></textarea>${photoField(id, 'resolution')}`,
          async (fd) => {
            const done = await act(id, 'resolve', { summary: String(fd.get('summary') || '') });
            if (done) await attach(done, fd, 'resolution');
            return done;
          });
        break;
      case 'return':
        // 退单: a reason code (routing re-routes a NEEDS_ANOTHER_DEPARTMENT return to the department named), and a reason.
        inlineForm(card, `<label for="rcode-${esc(id)}">${esc(t('desk.returnCode'))}</label>
          <select id="rcode-${esc(id)}" name="reason_code" required>${RETURN_CODES.map((k) => `<option value="${k}">${esc(t(`return.${k}`))}</option>`).join('')}</select>
          <label for="rdept-${esc(id)}">${esc(t('desk.returnDept'))}</label><input id="rdept-${esc(id)}" name="department" placeholder="housing" pattern="[a-z][a-z0-9\\-]*" maxlength="64">
          <label for="rsn-${esc(id)}">${esc(t('desk.reason'))}</label><textarea id="rsn-${esc(id)}" name="reason" rows="2" required maxlength="500"></textarea>`,
          (fd) => {
            const body = { reason_code: String(fd.get('reason_code')), reason: String(fd.get('reason') || '') };
            const dept = String(fd.get('department') || '').trim();
            if (dept && body.reason_code === 'NEEDS_ANOTHER_DEPARTMENT') body.department = dept;
            return act(id, 'return', body);
          });
        break;
      case 'extend': {
        // 延期: ask the supervisor for a later deadline of the clock being raced.
        const c = activeClock(d);
        const base = Math.max(serverNow(), Date.parse(c?.deadline || '') || 0) + 30 * 60000;
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
      case 'eta': {
        // 报预计到场: the desk's own ETA, shown to the street (docs/eta.md).
        const local = new Date(serverNow() + 30 * 60000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
        inlineForm(card, `<label for="eta-${esc(id)}">${esc(t('desk.eta'))}</label><input id="eta-${esc(id)}" name="arrive_at" type="datetime-local" required value="${local}">
          <label for="etanote-${esc(id)}">${esc(t('desk.eta.note'))}</label><input id="etanote-${esc(id)}" name="note" maxlength="200">`,
        async (fd) => {
          try {
            await api(`/v1/dispatches/${encodeURIComponent(id)}:setEta`, { method: 'POST', body: {
              arrive_at: new Date(String(fd.get('arrive_at'))).toISOString(), note: String(fd.get('note') || ''),
            } });
            toast(t('saved'));
            return true;
          } catch (err) {
            toastError(err);
            return false;
          }
        }, t('desk.eta.set'));
        break;
      }
      case 'board':
        await openBoard(d.whistle_id, who);
        break;
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
  const done = first.then(() => true, (err) => { toastError(err); return false; });
  append(arrived, arrivedAll);
  onPage = append;
  if (!await done) await refresh();
  // Calls: what the stream says (a new dispatch, 预警, 催办, 督办), and what the
  // services' clock says (a dispatch five minutes from its arrival deadline).
  const describe = (d) => [nameOf(cats[d.category], d.category), nameOf(sts[d.street_id], d.street_id)].filter(Boolean).join(' · ');
  const onEvent = (name, ev) => {
    const kind = CALLS[name];
    const payload = ev?.[name.replace('.', '_')];
    const d = payload?.dispatch;
    if (!kind || !d || (who.department && ev.department && ev.department !== who.department)) return;
    const what = kind === 'level' ? LEVELS[payload.escalation_level] || 'remind' : kind;
    const key = kind === 'new' ? `new:${d.id}` : `${what}:${d.id}:${payload.clock || ''}`;
    alerts.call({ key, title: t(`alert.${what}`), body: describe(d), dispatch: d.id });
    // The event carries the new dispatch: its card shows with the call, not
    // only after the refresh that follows (unless a form is open on a card).
    if (kind === 'new' && !items.some((x) => x.id === d.id)) {
      if (queue.querySelector('.inline-form')) stale = true;
      else replace({ ...d, fromEvent: true }); // the refresh adds who is on duty
    }
  };
  const dueSoon = () => {
    const now = serverNow();
    for (const d of items) {
      const by = Date.parse(d.deadlines?.arrive_by || '');
      if ((d.status !== 'PENDING' && d.status !== 'ACKNOWLEDGED') || !(by - now <= DUE_SOON_MS && by > now)) continue;
      alerts.call({ key: `due:${d.id}:${d.deadlines.arrive_by}`, title: t('alert.dueSoon'), body: describe(d), dispatch: d.id });
    }
  };
  dueSoon();
  const watching = setInterval(dueSoon, 1000);
  const stop = follow(refresh, { onEvent });
  // The desk counts as staffed while this page is open (docs/duty-desks.md): a heartbeat every
  // minute of the services' clock (faster in a scaled drill), well inside the 2-minute window.
  const beat = () => api('/v1/desk/heartbeat', { method: 'POST', body: { desk: 'console' } }).catch(() => {});
  beat();
  const beating = setInterval(beat, Math.max(1000, 60_000 / clockScale()));
  return () => { alive = false; clearInterval(beating); clearInterval(watching); cancelAnimationFrame(frame); stop(); alerts.stop(); };
}

/**
 * The device's position with its accuracy (WGS-84, as the Geolocation API
 * gives it), or null when it cannot be had within a few seconds.
 */
function locate() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: +p.coords.latitude.toFixed(6), lng: +p.coords.longitude.toFixed(6), accuracy: Math.min(100000, Math.max(0, +p.coords.accuracy.toFixed(1) || 0)) }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 },
    );
  });
}

/** The optional photo of a form (the camera on a phone), previewed once chosen. */
function photoField(id, stage) {
  const fid = `photo-${stage}-${id}`;
  return `<label for="${esc(fid)}">${esc(t(`desk.photo.${stage}`))}</label>`
    + `<input id="${esc(fid)}" name="photo" type="file" accept="image/jpeg,image/png" capture="environment">`
    + '<img class="photo-preview" alt="" hidden>';
}

function preview(input) {
  const img = input.parentElement.querySelector('.photo-preview');
  if (!img) return;
  if (img.src) URL.revokeObjectURL(img.src);
  const file = input.files?.[0];
  img.hidden = !file;
  if (file) { img.src = URL.createObjectURL(file); img.alt = file.name; } else img.removeAttribute('src');
}

/** What the arrival's check says: the distance from the whistle, far or not, or unlocated. */
// arrivalText is the arrival's distance line, or '' while the card holds only a
// live event's fields (no position yet): the line is drawn once it is known.
function arrivalText(d) {
  if (d.arrival_unlocated) return t('desk.unlocated');
  if (!d.arrival_location) return '';
  const m = Math.round(d.arrival_distance_m || 0);
  const acc = d.arrival_accuracy_m ? t('desk.accuracy', { acc: Math.round(d.arrival_accuracy_m) }) : '';
  return `${t(d.arrival_far ? 'desk.far' : 'desk.near', { m })}${acc}`;
}

// isDrill tells a dispatch of a drill (演练) whistle: its id is drill-<drill>-<uuid>
// (platform/drill), and the desk must see at once that it is an exercise.
function isDrill(d) {
  return (d.whistle_id || '').startsWith('drill-');
}

function card(d, cats, sts, photos = []) {
  const lvl = risk(d);
  const btn = (act, label, cls = 'primary') => `<button type="button" class="${cls}" data-act="${act}">${esc(label)}</button>`;
  const acts = [];
  if (d.status === 'PENDING') acts.push(btn('acknowledge', t('desk.ack')), btn('return', t('desk.return'), 'secondary'));
  if (d.status === 'ACKNOWLEDGED') acts.push(btn('arrive', t('desk.arrive')), btn('resolve', t('desk.resolve'), 'secondary'), btn('return', t('desk.return'), 'secondary'));
  if (d.status === 'ARRIVED') acts.push(btn('resolve', t('desk.resolve')));
  return `<article class="dispatch risk-${lvl}" data-dispatch="${esc(d.id)}" data-whistle="${esc(d.whistle_id)}" data-status="${esc(d.status)}" aria-label="${esc(nameOf(cats[d.category], d.category))} ${esc(t(`d.${d.status}`))}">
    <header><h3>${esc(nameOf(cats[d.category], d.category))}</h3>${isDrill(d) ? `<span class="badge drill" data-drill>${esc(t('d.drill'))}</span>` : ''}<span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></header>
    <p class="muted">${esc(nameOf(sts[d.street_id], d.street_id))} · <time datetime="${esc(d.dispatched_at)}">${esc(when(d.dispatched_at))}</time>${d.role ? ` · ${esc(t(`role.d.${d.role}`))}` : ''}${(d.breaches || []).length ? ` · <span class="late-text">${esc(t('sup.breached'))}: ${esc(d.breaches.map((c) => t(`clock.${c}`)).join('、'))}</span>` : ''}</p>
    ${d.community_code ? communityLine(d) : ''}
    <p>${countdownChip(d)}</p>
    ${d.arrived_at && arrivalText(d) ? `<p class="arrival${d.arrival_far || d.arrival_unlocated ? ' late-text' : ''}" data-arrival="${d.arrival_unlocated ? 'unlocated' : d.arrival_far ? 'far' : 'near'}">${esc(arrivalText(d))}</p>` : ''}
    ${photos.length ? `<ul class="evidence">${photos.map((a) => `<li data-attachment="${esc(a.id)}">${esc(t(`ev.${a.stage}`))} · SHA-256 <code>${esc(a.sha256.slice(0, 12))}…</code></li>`).join('')}</ul>` : ''}
    ${d.fromEvent ? '' : `<p class="muted on-duty">${esc(t('desk.onDuty'))}：${esc((d.on_duty || []).map((s) => [s.seat, s.person, s.phone].filter(Boolean).join(' ')).join('；') || t('desk.nobodyOnDuty'))}</p>`}
    <div class="actions">${acts.join('')}${d.status === 'PENDING' || d.status === 'ACKNOWLEDGED' ? `<button type="button" class="ghost" data-act="eta">${esc(t('desk.eta.set'))}</button>` : ''}<button type="button" class="ghost" data-act="extend">${esc(t('desk.extend'))}</button>${d.joint ? `<button type="button" class="secondary" data-act="board">${esc(boardLabel())}</button>` : ''}${formButtons(d)}<button type="button" class="ghost" data-act="details" aria-expanded="false">${esc(t('desk.details'))}</button></div>
    <div class="details" hidden></div>
  </article>`;
}
