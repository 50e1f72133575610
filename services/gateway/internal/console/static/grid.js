// The grid worker's page (网格员), phone first: file a report with a photo
// and the device's position, and follow the reports of my micro-grid — still
// waiting for the street's triage (with its clock), handled by the street,
// raised as a whistle (with the whistle's state), or not taken up (with the
// reason). Its labels live here, Chinese first, as the inbox's do.
import { api, categories, byKey, upload } from './api.js';
import { t, nameOf, pageWords, when } from './i18n.js';
import { esc, toast, toastError, countdown, reportPhotos, loadImages } from './ui.js';
import { sync } from './clock.js';
import { follow } from './live.js';

const words = {
  zh: {
    file: '上报问题', mine: '本网格的上报', category: '问题类别', description: '问题描述', address: '地址（可选）',
    photo: '现场照片', pick: '拍照或选择照片', noPhoto: '未选择照片', photoHint: '照片中的位置信息仅留作证据，不会公开。',
    position: '当前位置', locate: '获取当前位置', locating: '正在定位…', located: '已定位：{lat}, {lng}', accuracy: '（约 {acc} 米）',
    noPosition: '无法获取位置：请允许浏览器使用定位后重试。', submit: '提交上报', sending: '正在提交…',
    filed: '已上报', photoFailed: '上报已提交，但照片上传失败：{m}', needDescription: '请填写问题描述', needPosition: '请先获取当前位置',
    refresh: '刷新', empty: '本网格还没有上报。', triageBy: '分拣时限',
    st: { RECEIVED: '待街道分拣', IN_PROGRESS: '处置中', CLOSED: '已结案' },
    local: '街道自行处置', reject: '不予受理', blow: '已吹哨', merge: '已并入哨单', whistle: '哨单 {id}',
    result: '处置结果', reason: '理由', thumb: '现场照片 {n}',
    src: { GRID: '网格员', RESIDENT: '居民', HOTLINE: '12345', STREET: '街道' },
  },
  en: {
    file: 'File a report', mine: "My micro-grid's reports", category: 'Category', description: 'What is wrong', address: 'Address (optional)',
    photo: 'Photo', pick: 'Take or choose a photo', noPhoto: 'No photo chosen', photoHint: "The photo's position is kept as evidence only, never published.",
    position: 'Position', locate: 'Use my position', locating: 'Locating…', located: 'Located: {lat}, {lng}', accuracy: ' (about {acc} m)',
    noPosition: 'No position: allow the browser to use your location and try again.', submit: 'File the report', sending: 'Filing…',
    filed: 'Report filed', photoFailed: 'The report is filed, but the photo failed: {m}', needDescription: 'Describe the problem', needPosition: 'Get your position first',
    refresh: 'Refresh', empty: 'No reports in this micro-grid yet.', triageBy: 'Triage by',
    st: { RECEIVED: 'Waiting for triage', IN_PROGRESS: 'In progress', CLOSED: 'Closed' },
    local: 'Handled by the street', reject: 'Not taken up', blow: 'Whistle raised', merge: 'Merged into a whistle', whistle: 'whistle {id}',
    result: 'Result', reason: 'Reason', thumb: 'Photo {n}',
    src: { GRID: 'Grid worker', RESIDENT: 'Resident', HOTLINE: '12345', STREET: 'Street' },
  },
};

const { w, both } = pageWords(words);

export async function render(root, who) {
  const [cats] = await Promise.all([categories(), sync()]);
  const catBy = byKey(cats);
  root.innerHTML = `<div class="grid-page">
  <section class="card" aria-labelledby="gr-file-h">
    <h1 id="gr-file-h">${esc(both('file'))}</h1>
    <form id="gr-form" class="stack" novalidate>
      <label for="gr-cat">${esc(w('category'))}</label>
      <select id="gr-cat" name="category">${cats.map((c) => `<option value="${esc(c.code)}">${esc(nameOf(c))}</option>`).join('')}</select>
      <label for="gr-desc">${esc(w('description'))}</label>
      <textarea id="gr-desc" name="description" rows="3" maxlength="2000" required></textarea>
      <span id="gr-photo-l" class="label">${esc(w('photo'))}</span>
      <input id="gr-photo" name="photo" type="file" accept="image/*" capture="environment" class="sr-only file-input"
        aria-labelledby="gr-photo-l" aria-describedby="gr-photo-name gr-photo-hint">
      <label for="gr-photo" class="button secondary file-pick">${esc(w('pick'))}</label>
      <p id="gr-photo-name" class="hint">${esc(w('noPhoto'))}</p>
      <p id="gr-photo-hint" class="hint">${esc(w('photoHint'))}</p>
      <img id="gr-preview" class="grid-preview" alt="" hidden>
      <fieldset><legend>${esc(w('position'))}</legend>
        <button type="button" id="gr-locate" class="secondary">${esc(w('locate'))}</button>
        <p id="gr-pos" class="hint" role="status" aria-live="polite"></p>
      </fieldset>
      <label for="gr-addr">${esc(w('address'))}</label>
      <input id="gr-addr" name="address" maxlength="500" autocomplete="street-address">
      <div id="gr-errors" class="errors" role="alert"></div>
      <button type="submit" id="gr-submit" class="primary">${esc(w('submit'))}</button>
    </form>
  </section>
  <section class="card" aria-labelledby="gr-mine-h">
    <h2 id="gr-mine-h">${esc(both('mine'))}</h2>
    <button type="button" id="gr-refresh" class="secondary">${esc(w('refresh'))}</button>
    <ul id="gr-list" class="grid-reports" aria-live="polite"></ul>
  </section></div>`;

  const form = root.querySelector('#gr-form');
  const list = root.querySelector('#gr-list');
  const pos = root.querySelector('#gr-pos');
  const photo = root.querySelector('#gr-photo');
  const preview = root.querySelector('#gr-preview');
  let position = null;
  let stopped = false;
  let release = () => {}; // frees the thumbnails shown, on redraw

  async function locate() {
    const button = root.querySelector('#gr-locate');
    pos.textContent = w('locating');
    button.disabled = true;
    try {
      const p = await currentPosition();
      position = p;
      pos.textContent = p
        ? w('located', { lat: p.lat.toFixed(6), lng: p.lng.toFixed(6) }) + (p.accuracy > 0 ? w('accuracy', { acc: Math.round(p.accuracy) }) : '')
        : w('noPosition');
    } finally {
      button.disabled = false;
    }
    return position;
  }

  async function load() {
    const out = await api('/v1/discovery/reports?page_size=100');
    if (stopped) return;
    release();
    const reports = out?.reports || [];
    list.innerHTML = reports.length ? reports.map((r) => item(r, catBy)).join('') : `<li class="hint">${esc(w('empty'))}</li>`;
    release = loadImages(list);
  }

  photo.addEventListener('change', () => {
    const f = photo.files?.[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !f;
    if (f) preview.src = URL.createObjectURL(f);
    root.querySelector('#gr-photo-name').textContent = f ? f.name : w('noPhoto');
  });
  root.querySelector('#gr-locate').addEventListener('click', () => locate());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const errors = form.querySelector('#gr-errors');
    errors.textContent = '';
    const description = form.querySelector('#gr-desc').value.trim();
    if (!description) { errors.textContent = w('needDescription'); form.querySelector('#gr-desc').focus(); return; }
    if (!position && !(await locate())) { errors.textContent = w('needPosition'); return; }
    const button = form.querySelector('#gr-submit');
    button.disabled = true;
    button.textContent = w('sending');
    try {
      // The Geolocation API gives WGS-84 whatever the deployment's default system.
      const filed = await api('/v1/discovery/reports', { method: 'POST', body: {
        category: form.querySelector('#gr-cat').value, description, address: form.querySelector('#gr-addr').value.trim(),
        location: { lat: position.lat, lng: position.lng }, coord_sys: 'WGS84',
      } });
      const file = photo.files?.[0];
      if (file) {
        try {
          await upload(`/v1/discovery/reports/${encodeURIComponent(filed.report.id)}/attachments?file_name=${encodeURIComponent(file.name)}`, file);
        } catch (err) {
          toast(w('photoFailed', { m: err.message }), 'error');
        }
      }
      toast(w('filed'));
      // The next report is filed from wherever the grid worker is then.
      form.reset();
      preview.hidden = true;
      position = null;
      pos.textContent = '';
      root.querySelector('#gr-photo-name').textContent = w('noPhoto');
      await load();
    } catch (err) {
      errors.textContent = (err.details || []).map((d) => `${d.field}: ${d.reason}`).join('; ') || err.message;
      toastError(err);
    } finally {
      button.disabled = false;
      button.textContent = w('submit');
    }
  });
  root.querySelector('#gr-refresh').addEventListener('click', () => load().catch(toastError));
  await load().catch(toastError);
  // Triage and closing arrive on the live stream (the micro-grid's reports only).
  const stop = follow(() => load().catch(() => {}));
  return () => { stopped = true; stop(); release(); };
}

/** The device's position (WGS-84) or null when it cannot be had within a few seconds. */
function currentPosition() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: +p.coords.latitude.toFixed(6), lng: +p.coords.longitude.toFixed(6), accuracy: p.coords.accuracy || 0 }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });
}

/** What became of a report, in words, with the whistle's state when it has one. */
function outcome(r) {
  const whistle = r.whistle_id
    ? `${w('whistle', { id: r.whistle_id.slice(-8) })}${r.whistle_status ? ` · ${t(`w.${r.whistle_status}`)}` : ''}` : '';
  switch (r.triage) {
    case 'HANDLE_LOCALLY': return { label: w('local'), text: r.result ? `${w('result')}：${r.result}` : '' };
    case 'REJECT': return { label: w('reject'), text: `${w('reason')}：${r.result}` };
    case 'BLOW_WHISTLE': return { label: w('blow'), text: [whistle, r.result].filter(Boolean).join(' · ') };
    case 'MERGE': return { label: w('merge'), text: [whistle, r.result].filter(Boolean).join(' · ') };
    default: return null;
  }
}

function item(r, catBy) {
  const o = outcome(r);
  const cd = r.status === 'RECEIVED' ? countdown(r.received_at, r.triage_by) : null;
  const clock = cd ? `<span class="cd cd-${cd.level}" data-start="${esc(r.received_at)}" data-deadline="${esc(r.triage_by)}">`
    + `<span class="cd-clock">${esc(w('triageBy'))}</span> <span class="cd-text">${esc(cd.text)}</span></span>` : '';
  return `<li class="grid-report" data-report="${esc(r.id)}" data-status="${esc(r.status)}">
    <div class="grid-report-head"><strong>${esc(nameOf(catBy[r.category], r.category))}</strong>
      <span class="badge r-${esc(r.status)}">${esc(w(`st.${r.status}`))}</span></div>
    <p>${esc(r.description)}${r.address ? ` · ${esc(r.address)}` : ''}</p>
    <p class="hint">${r.source !== 'GRID' ? `${esc(w(`src.${r.source}`))} · ` : ''}<time datetime="${esc(r.received_at)}">${esc(when(r.received_at))}</time></p>
    ${clock ? `<p>${clock}</p>` : ''}
    ${o ? `<p class="grid-outcome"><strong>${esc(o.label)}</strong>${o.text ? ` · ${esc(o.text)}` : ''}</p>` : ''}
    ${reportPhotos(r, (n) => w('thumb', { n }))}
  </li>`;
}
