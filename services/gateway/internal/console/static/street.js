// The street committee's page: raise a whistle (category with its
// description, the spot on the street's map or typed coordinates, urgency,
// description), and follow my whistles live, per department, with
// countdowns; rate a resolved whistle or reopen it.
import { api, openDocument, categories, departments, streets, byKey } from './api.js';
import { t, nameOf, describe, when } from './i18n.js';
import { esc, toast, toastError, countdownChip, communityLine } from './ui.js';
import { sync } from './clock.js';
import { drawMap } from './map.js';
import { follow } from './live.js';
import { showTimeline } from './timeline.js';
import { nameCommittees, deptName } from './committees.js';

const OPEN = new Set(['RAISED', 'ROUTED', 'RESPONDING', 'REOPENED', 'UNROUTABLE']);

export async function render(root, who) {
  const [cats, deps, street] = await Promise.all([
    categories(), departments().then((d) => byKey(d)),
    api(`/v1/streets/${encodeURIComponent(who.street)}`).catch(() => null), sync(),
  ]);
  const catBy = byKey(cats);
  const urg = ['NORMAL', 'HIGH', 'CRITICAL'];
  root.innerHTML = `<div class="cols">
  <section class="card" aria-labelledby="raise-h">
    <h1 id="raise-h">${esc(t('street.raise'))}${street ? ` · ${esc(nameOf(street))}` : ''}</h1>
    <form id="raise" class="stack" novalidate>
      <label for="f-cat">${esc(t('f.category'))}</label>
      <select id="f-cat" name="category" required aria-describedby="f-cat-desc">
        ${cats.map((c) => `<option value="${esc(c.code)}">${esc(nameOf(c))}</option>`).join('')}
      </select>
      <p id="f-cat-desc" class="hint"></p>
      <label for="f-title">${esc(t('f.title'))}</label>
      <input id="f-title" name="title" maxlength="200" autocomplete="off">
      <label for="f-desc">${esc(t('f.description'))}</label>
      <textarea id="f-desc" name="description" rows="3" required maxlength="4000"></textarea>
      <fieldset class="urgency"><legend>${esc(t('f.urgency'))}</legend>
        ${urg.map((u, i) => `<label class="radio"><input type="radio" name="urgency" value="${u}"${i === 0 ? ' checked' : ''}> ${esc(t(`urgency.${u}`))}</label>`).join('')}
      </fieldset>
      <fieldset><legend>${esc(t('f.location'))}</legend>
        <p id="map-hint" class="hint">${esc(t('f.mapHint'))}</p>
        <svg id="f-map" class="map pick" role="img" aria-label="${esc(t('f.mapHint'))}"></svg>
        <div class="row">
          <div class="stack"><label for="f-lat">${esc(t('f.lat'))}</label>
            <input id="f-lat" name="lat" type="number" step="0.000001" min="-90" max="90" required inputmode="decimal"></div>
          <div class="stack"><label for="f-lng">${esc(t('f.lng'))}</label>
            <input id="f-lng" name="lng" type="number" step="0.000001" min="-180" max="180" required inputmode="decimal"></div>
        </div>
        <p id="f-loc-check" class="hint" aria-live="polite"></p>
        <button type="button" id="f-centre" class="secondary">${esc(t('f.centre'))}</button>
        <label for="f-addr">${esc(t('f.address'))}</label>
        <input id="f-addr" name="address" maxlength="500" autocomplete="street-address">
      </fieldset>
      <div id="f-errors" class="errors" role="alert"></div>
      <button type="submit" id="f-submit" class="primary">${esc(t('f.submit'))}</button>
    </form>
  </section>
  <section class="card" aria-labelledby="mine-h">
    <h2 id="mine-h">${esc(t('street.mine'))}</h2>
    <div id="mine" aria-live="polite"></div>
  </section></div>`;

  const form = root.querySelector('#raise');
  const lat = form.querySelector('#f-lat'), lng = form.querySelector('#f-lng');
  const catSel = form.querySelector('#f-cat');
  const showCat = () => {
    const c = catBy[catSel.value];
    if (!c) return;
    const routed = [c.lead_department, ...(c.cooperating_departments || [])].map((d) => deptName(deps[d], d)).join('、');
    form.querySelector('#f-cat-desc').textContent = `${describe(c.description)} → ${routed}`;
  };
  catSel.addEventListener('change', showCat);
  const jf = cats.find((c) => c.code === 'joint-enforcement');
  if (jf) catSel.value = jf.code;
  showCat();

  // The street framed, its neighbours faded around it for orientation.
  const around = await streets(who.district).catch(() => []);
  const areas = [...around.filter((s) => s.id !== who.street).map((s) => ({ ...s, fill: '#eef1f4', muted: true, label: nameOf(s) })),
    ...(street ? [{ ...street, fill: '#cfe0f3', label: nameOf(street) }] : [])];
  const map = street ? drawMap(root.querySelector('#f-map'), areas, { fit: [street.id], pad: 0.12, size: 360,
    onPick: (la, ln) => { lat.value = la; lng.value = ln; map?.setMarker(la, ln); checkLocation(); },
  }) : null;
  // Jurisdiction by map: say at once whether the spot is in this street.
  const aroundBy = byKey(around, 'id');
  let checkTimer;
  const checkLocation = () => {
    clearTimeout(checkTimer);
    const box = form.querySelector('#f-loc-check');
    const la = parseFloat(lat.value), ln = parseFloat(lng.value);
    if (!Number.isFinite(la) || !Number.isFinite(ln)) { box.textContent = ''; return; }
    checkTimer = setTimeout(async () => {
      try {
        const j = await api(`/v1/streets/${encodeURIComponent(who.street)}:locate`, { method: 'POST', body: { location: { lat: la, lng: ln }, coord_sys: 'WGS84' } });
        const others = (j?.neighbour_street_ids || []).map((id) => nameOf(aroundBy[id], id)).join('、');
        box.textContent = t(`loc.${j?.result || 'inside'}`, { s: others });
        box.dataset.result = j?.result || '';
      } catch {
        box.textContent = '';
      }
    }, 300);
  };
  const syncMarker = () => { map?.setMarker(parseFloat(lat.value), parseFloat(lng.value)); checkLocation(); };
  lat.addEventListener('input', syncMarker);
  lng.addEventListener('input', syncMarker);
  form.querySelector('#f-centre').addEventListener('click', () => {
    if (!street?.centroid) return;
    lat.value = street.centroid.lat; lng.value = street.centroid.lng;
    syncMarker();
  });

  // One key per filled-in form: a double click or a retry raises one whistle.
  let idemKey = crypto.randomUUID();
  form.addEventListener('input', () => { idemKey = crypto.randomUUID(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const errs = form.querySelector('#f-errors');
    errs.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const fd = new FormData(form);
    const body = {
      street_id: who.street, category: fd.get('category'), description: String(fd.get('description') || '').trim(),
      title: String(fd.get('title') || '').trim(), address: String(fd.get('address') || '').trim(), urgency: fd.get('urgency'),
      // Picked on the console's map (or typed from it): WGS-84, whatever the deployment's default.
      location: { lat: parseFloat(fd.get('lat')), lng: parseFloat(fd.get('lng')) }, coord_sys: 'WGS84',
    };
    const local = [];
    if (!body.description) local.push(['f-desc', t('f.description')]);
    if (!Number.isFinite(body.location.lat)) local.push(['f-lat', t('f.lat')]);
    if (!Number.isFinite(body.location.lng)) local.push(['f-lng', t('f.lng')]);
    if (local.length) {
      for (const [id] of local) form.querySelector(`#${id}`).setAttribute('aria-invalid', 'true');
      errs.textContent = `${t('err', { m: '' })}${local.map(([, n]) => n).join('、')}`;
      form.querySelector(`#${local[0][0]}`).focus();
      return;
    }
    const btn = form.querySelector('#f-submit');
    btn.disabled = true;
    btn.textContent = t('f.submitting');
    try {
      const w = await api('/v1/whistles', { method: 'POST', body, headers: { 'Idempotency-Key': idemKey } });
      toast(t('raised', { id: w.id }));
      form.reset();
      showCat();
      map?.setMarker(NaN, NaN);
      idemKey = crypto.randomUUID();
      refresh();
    } catch (err) {
      const fieldIds = { description: 'f-desc', category: 'f-cat', 'location.lat': 'f-lat', 'location.lng': 'f-lng', location: 'f-lat', title: 'f-title', address: 'f-addr' };
      for (const d of err.details || []) form.querySelector(`#${fieldIds[d.field] || 'x'}`)?.setAttribute('aria-invalid', 'true');
      errs.textContent = t('err', { m: [err.message, ...(err.details || []).map((d) => `${d.field}: ${d.reason}`)].join(' · ') });
      toastError(err);
    } finally {
      btn.disabled = false;
      btn.textContent = t('f.submit');
    }
  });

  const mine = root.querySelector('#mine');
  let stale = false;
  async function refresh() {
    if (!alive) return;
    // Do not pull the form from under someone typing a rating or a reason.
    if (mine.querySelector('details[open]')) { stale = true; return; }
    stale = false;
    try {
      const page = await api(`/v1/whistles?street_id=${encodeURIComponent(who.street)}&page_size=50`);
      if (!alive) return;
      const list = page?.whistles || [];
      const [etas] = await Promise.all([etasOf(list), nameCommittees(list.flatMap((w) => (w.dispatches || []).map((d) => d.department)))]);
      if (!alive) return;
      mine.innerHTML = list.length ? list.map((w) => card(w, catBy, deps, etas)).join('') : `<p class="muted">${esc(t('noWhistles'))}</p>`;
    } catch (err) {
      toastError(err);
    }
  }
  mine.addEventListener('toggle', () => { if (stale && !mine.querySelector('details[open]')) refresh(); }, true);
  mine.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-timeline]');
    if (b) showTimeline(b.dataset.timeline);
    const f = ev.target.closest('button[data-form]');
    if (f) openDocument(f.dataset.form).catch(toastError);
  });
  mine.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const fd = new FormData(f);
    const id = f.dataset.id;
    const body = f.dataset.action === 'feedback'
      ? { satisfaction: Number(fd.get('satisfaction')), comment: String(fd.get('comment') || '') }
      : { reason: String(fd.get('reason') || '') };
    try {
      await api(`/v1/whistles/${encodeURIComponent(id)}:${f.dataset.action}`, { method: 'POST', body });
      toast(t('saved'));
      f.closest('details').open = false;
      refresh();
    } catch (err) {
      toastError(err);
    }
  });
  let alive = true;
  await refresh();
  const stop = follow(refresh);
  return () => { alive = false; stop(); };
}

// etasOf are the ETAs of the open whistles of list, by dispatch id (docs/eta.md);
// none when the feedback service does not answer: the countdowns remain.
async function etasOf(list) {
  const ids = list.filter((w) => OPEN.has(w.status)).map((w) => w.id).slice(0, 100);
  if (!ids.length) return {};
  try {
    const r = await api(`/v1/etas?${ids.map((id) => `whistle_ids=${encodeURIComponent(id)}`).join('&')}`);
    const out = {};
    for (const e of r?.etas || []) for (const d of e.dispatches || []) out[d.dispatch_id] = d;
    return out;
  } catch {
    return {};
  }
}

// etaLine is a dispatch's 预计到场 / 预计办结 with what each rests on; nothing
// for what already happened.
function etaLine(d) {
  if (!d) return '';
  const part = (key, e) => {
    if (!e || !e.expected_at || e.basis === 'ETA_BASIS_ACTUAL') return '';
    const basis = t(`eta.${e.basis}`);
    // A resolution moved to the expected arrival can have its history's p80 before it: not shown then.
    const p80 = e.p80_at && Date.parse(e.p80_at) >= Date.parse(e.expected_at) ? `，${t('eta.p80', { at: when(e.p80_at) })}` : '';
    const note = e.note ? ` “${e.note}”` : '';
    return `<span class="eta" data-basis="${esc(e.basis)}">${esc(t(key))} <time datetime="${esc(e.expected_at)}">${esc(when(e.expected_at))}</time>（${esc(basis)}${esc(p80)}）${esc(note)}</span>`;
  };
  const parts = [part('eta.arrive', d.arrival), part('eta.resolve', d.resolution)].filter(Boolean);
  return parts.length ? `<br><span class="muted etas">${parts.join(' · ')}</span>` : '';
}

function card(w, catBy, deps, etas = {}) {
  const cat = catBy[w.category];
  const rows = (w.dispatches || []).map((d) => `<tr>
      <th scope="row">${esc(deptName(deps[d.department], d.department))}</th>
      <td><span class="badge d-${esc(d.status)}">${esc(t(`d.${d.status}`))}</span></td>
      <td>${countdownChip(d)}${d.return_reason ? ` <span class="muted">${esc(d.return_reason)}</span>` : ''}${(d.on_duty || []).length ? ` <span class="muted on-duty">${esc(t('desk.onDuty'))}：${esc(d.on_duty.map((s) => [s.seat, s.person, s.phone].filter(Boolean).join(' ')).join('；'))}</span>` : ''}${etaLine(etas[d.id])}</td>
      <td><button type="button" class="ghost" data-form="${esc(`/v1/dispatches/${encodeURIComponent(d.id)}/order.pdf?whistle_id=${encodeURIComponent(w.id)}`)}">${esc(t('form.order'))}</button></td></tr>`).join('');
  const actions = [];
  if (w.status === 'RESOLVED') {
    actions.push(`<details><summary class="button primary">${esc(t('rate'))}</summary>
      <form class="stack" data-action="feedback" data-id="${esc(w.id)}">
        <label for="sat-${esc(w.id)}">${esc(t('rate.score'))}</label>
        <select id="sat-${esc(w.id)}" name="satisfaction">${[5, 4, 3, 2, 1].map((n) => `<option value="${n}">${'★'.repeat(n)} ${n}</option>`).join('')}</select>
        <label for="com-${esc(w.id)}">${esc(t('rate.comment'))}</label>
        <input id="com-${esc(w.id)}" name="comment" maxlength="1000">
        <button type="submit" class="primary">${esc(t('rate.submit'))}</button></form></details>`);
  }
  if (w.status === 'RESOLVED' || w.status === 'CLOSED') {
    actions.push(reasonForm(w, 'reopen', t('reopen'), t('reopen.reason')));
  }
  if (OPEN.has(w.status)) actions.push(reasonForm(w, 'cancel', t('cancel'), t('cancel.reason')));
  return `<article class="whistle" data-whistle="${esc(w.id)}" data-status="${esc(w.status)}">
    <header><h3>${esc(w.title || nameOf(cat, w.category))}</h3>
      <span class="badge w-${esc(w.status)}">${esc(t(`w.${w.status}`))}</span></header>
    <p class="muted">${esc(nameOf(cat, w.category))} · ${esc(t(`urgency.${w.urgency || 'NORMAL'}`))} · <time datetime="${esc(w.raised_at)}">${esc(when(w.raised_at))}</time>
      ${w.satisfaction ? ` · ${esc(t('rated', { n: w.satisfaction }))}` : ''}</p>
    ${w.community_code || (w.status && !['RAISED', 'CANCELLED'].includes(w.status)) ? communityLine(w) : ''}
    ${w.description ? `<p>${esc(w.description)}</p>` : ''}
    ${rows ? `<table class="deps"><caption class="sr-only">${esc(t('department'))}</caption><tbody>${rows}</tbody></table>` : ''}
    <div class="actions"><button type="button" class="ghost" data-timeline="${esc(w.id)}">${esc(t('timeline'))}</button>${actions.join('')}</div>
  </article>`;
}

function reasonForm(w, action, title, label) {
  const id = `${action}-${w.id}`;
  return `<details><summary class="button secondary">${esc(title)}</summary>
    <form class="stack" data-action="${action}" data-id="${esc(w.id)}">
      <label for="${esc(id)}">${esc(label)}</label>
      <input id="${esc(id)}" name="reason" required maxlength="1000">
      <button type="submit">${esc(title)}</button></form></details>`;
}
