// The admin's page: the routing catalogue (the version in force, the draft
// as JSON with its diff, publishing), SLA policy overrides, the working-day
// calendar, and the reference data every other page names things by.
import { api, categories, departments, districts, streets, byKey, forgetRefs } from './api.js';
import { t, nameOf, describe, when } from './i18n.js';
import { esc, toast, toastError } from './ui.js';
import { renderGrants } from './grants.js';
import { renderChannels } from './channels.js';
import { deptName } from './committees.js';

const mins = (d) => (d ? Math.round(parseFloat(d) / 60) : '–');
const hours = (d) => (d ? `${Math.round(parseFloat(d) / 3600)} h` : '–');

export async function render(root) {
  const [cats, deps, dists, sts] = await Promise.all([categories(), departments(), districts(), streets()]);
  const depBy = byKey(deps), catBy = byKey(cats), distBy = byKey(dists, 'id');
  const perDistrict = {};
  for (const s of sts) perDistrict[s.district_id] = (perDistrict[s.district_id] || 0) + 1;
  const dep = (c) => deptName(depBy[c], c);
  root.innerHTML = `<section aria-labelledby="a-h"><h1 id="a-h">${esc(t('admin.title'))}</h1><div id="grants"></div><div id="channels"></div>
    <section class="card" aria-labelledby="cat-h"><h2 id="cat-h">${esc(t('admin.catalogue'))} <span id="cat-version" class="badge"></span></h2>
      <div class="scroll" id="cat-rules"></div></section>
    <section class="card" aria-labelledby="draft-h"><h2 id="draft-h">${esc(t('admin.draft'))}</h2>
      <form id="draft-form" class="stack">
        <label for="draft-desc">${esc(t('admin.draftDesc'))}</label><input id="draft-desc" name="description" maxlength="500">
        <label for="draft-json">${esc(t('admin.draftRules'))}</label>
        <textarea id="draft-json" name="rules" rows="12" spellcheck="false" class="mono"></textarea>
        <div class="row"><button type="submit" class="secondary">${esc(t('admin.saveDraft'))}</button>
          <button type="button" id="publish" class="primary">${esc(t('admin.publish'))}</button></div>
      </form>
      <h3>${esc(t('admin.diff'))}</h3><div id="diff" class="scroll"></div></section>
    <div class="cols">
      <section class="card" aria-labelledby="pol-h"><h2 id="pol-h">${esc(t('admin.policies'))}</h2><div id="policies" class="scroll"></div>
        <form id="pol-form" class="stack"><h3>${esc(t('admin.setPolicy'))}</h3>
          <div class="row"><div class="stack"><label for="pol-cat">${esc(t('category'))}</label><select id="pol-cat" name="category">${cats.map((c) => `<option value="${esc(c.code)}">${esc(nameOf(c))}</option>`).join('')}</select></div>
          <div class="stack"><label for="pol-dist">${esc(t('admin.districts'))}</label><select id="pol-dist" name="district_id"><option value="">${esc(t('signin.cityWide'))}</option>${dists.map((d) => `<option value="${esc(d.id)}">${esc(nameOf(d))}</option>`).join('')}</select></div></div>
          <div class="row"><div class="stack"><label for="pol-ack">${esc(t('admin.ackMin'))}</label><input id="pol-ack" name="ack" type="number" min="1" value="5" required></div>
          <div class="stack"><label for="pol-arr">${esc(t('admin.arriveMin'))}</label><input id="pol-arr" name="arrive" type="number" min="1" value="30" required></div></div>
          <div class="row"><div class="stack"><label for="pol-res">${esc(t('admin.resolveH'))}</label><input id="pol-res" name="resolve" type="number" min="0" value="72"></div>
          <div class="stack"><label for="pol-wd">${esc(t('admin.resolveWD'))}</label><input id="pol-wd" name="workdays" type="number" min="0" value="0"></div></div>
          <button type="submit" class="secondary">${esc(t('admin.save'))}</button></form></section>
      <section class="card" aria-labelledby="cal-h"><h2 id="cal-h">${esc(t('admin.calendar'))} ${new Date().getFullYear()}</h2><div id="calendar" class="scroll"></div>
        <form id="cal-form" class="stack"><h3>${esc(t('admin.setDay'))}</h3>
          <div class="row"><div class="stack"><label for="cal-date">${esc(t('admin.date'))}</label><input id="cal-date" name="date" type="date" required></div>
          <div class="stack"><label for="cal-kind">${esc(t('admin.kind'))}</label><select id="cal-kind" name="kind"><option value="HOLIDAY">${esc(t('admin.day.HOLIDAY'))}</option><option value="WORKDAY">${esc(t('admin.day.WORKDAY'))}</option></select></div></div>
          <label for="cal-name">${esc(t('admin.dayName'))}</label><input id="cal-name" name="name" maxlength="100">
          <button type="submit" class="secondary">${esc(t('admin.save'))}</button></form></section>
    </div>
    <section class="card"><h2>${esc(t('admin.categories'))}</h2><div class="scroll"><table>
      <thead><tr><th scope="col">code</th><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('admin.lead'))}</th><th scope="col">${esc(t('admin.coop'))}</th><th scope="col">${esc(t('admin.sla'))}</th></tr></thead>
      <tbody>${cats.map((c) => `<tr><td><code>${esc(c.code)}</code></td><td><strong>${esc(nameOf(c))}</strong><br><span class="muted">${esc(describe(c.description))}</span></td>
        <td>${esc(dep(c.lead_department))}</td><td>${esc((c.cooperating_departments || []).map(dep).join('、'))}</td>
        <td>${mins(c.sla?.ack_within)} / ${mins(c.sla?.arrive_within)} min / ${hours(c.sla?.resolve_within)}</td></tr>`).join('')}</tbody></table></div></section>
    <div class="cols">
      <section class="card" aria-labelledby="dep-h"><h2 id="dep-h">${esc(t('admin.departments'))}</h2>
        <div class="scroll"><table id="departments"><tbody>${deps.map((d) => `<tr data-department="${esc(d.code)}"><td><code>${esc(d.code)}</code></td><td>${esc(d.name)}</td><td>${esc(d.name_en)}</td>
          <td><button type="button" class="ghost" data-edit-dept="${esc(d.code)}" aria-label="${esc(t('admin.edit'))} ${esc(nameOf(d))}">${esc(t('admin.edit'))}</button></td></tr>`).join('')}</tbody></table></div>
        <form id="dep-form" class="stack"><h3>${esc(t('admin.saveDept'))}</h3>
          <label for="dep-code">${esc(t('admin.code'))}</label><input id="dep-code" name="code" required maxlength="40" aria-describedby="dep-code-hint" autocomplete="off">
          <p id="dep-code-hint" class="hint">${esc(t('admin.codeHint'))}</p>
          <div class="row"><div class="stack"><label for="dep-name">${esc(t('admin.nameZh'))}</label><input id="dep-name" name="name" required maxlength="64"></div>
          <div class="stack"><label for="dep-name-en">${esc(t('admin.nameEn'))}</label><input id="dep-name-en" name="name_en" required maxlength="128"></div></div>
          <button type="submit" class="secondary">${esc(t('admin.saveDept'))}</button></form></section>
      <section class="card" aria-labelledby="st-h"><h2 id="st-h">${esc(t('admin.districts'))} / ${esc(t('admin.streets'))}</h2>
        <div class="scroll"><table><tbody>${dists.map((d) => `<tr><td><code>${esc(d.id)}</code></td><td>${esc(nameOf(d))}</td><td>${perDistrict[d.id] || 0}</td></tr>`).join('')}</tbody></table></div>
        <form id="st-form" class="stack"><h3>${esc(t('admin.renameStreet'))}</h3>
          <label for="st-id">${esc(t('admin.streets'))}</label><select id="st-id" name="id">${sts.map((s) => `<option value="${esc(s.id)}">${esc(distBy[s.district_id] ? nameOf(distBy[s.district_id]) : s.district_id)} · ${esc(s.name)} (${esc(s.id)})</option>`).join('')}</select>
          <div class="row"><div class="stack"><label for="st-name">${esc(t('admin.nameZh'))}</label><input id="st-name" name="name" required maxlength="64"></div>
          <div class="stack"><label for="st-name-en">${esc(t('admin.nameEn'))}</label><input id="st-name-en" name="name_en" required maxlength="128"></div></div>
          <button type="submit" class="secondary">${esc(t('admin.renameStreet'))}</button></form></section>
    </div>
    <section class="card" aria-labelledby="pm-h"><h2 id="pm-h">${esc(t('admin.pm'))}</h2>
      <div id="pm-list" class="scroll"></div>
      <form id="pm-form" class="stack"><h3>${esc(t('admin.pmSave'))}</h3>
        <label for="pm-code">${esc(t('admin.code'))}</label><input id="pm-code" name="code" required maxlength="40" aria-describedby="pm-code-hint" autocomplete="off">
        <p id="pm-code-hint" class="hint">${esc(t('admin.pmCodeHint'))}</p>
        <div class="row"><div class="stack"><label for="pm-name">${esc(t('admin.nameZh'))}</label><input id="pm-name" name="name" required maxlength="64"></div>
        <div class="stack"><label for="pm-name-en">${esc(t('admin.nameEn'))}</label><input id="pm-name-en" name="name_en" maxlength="128"></div></div>
        <label for="pm-communities">${esc(t('admin.pmCommunities'))}</label>
        <textarea id="pm-communities" name="community_codes" rows="2" aria-describedby="pm-communities-hint" spellcheck="false"></textarea>
        <p id="pm-communities-hint" class="hint">${esc(t('admin.pmCommunitiesHint'))}</p>
        <button type="submit" class="secondary">${esc(t('admin.pmSave'))}</button></form></section>
    </section>`;

  const ruleRows = (rules) => `<table><thead><tr><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('admin.districts'))}</th>
    <th scope="col">${esc(t('admin.lead'))}</th><th scope="col">${esc(t('admin.coop'))}</th></tr></thead><tbody>
    ${rules.map((r) => `<tr><td>${esc(nameOf(catBy[r.category], r.category))}</td><td>${esc(r.district_id ? nameOf(distBy[r.district_id], r.district_id) : t('signin.cityWide'))}</td>
      <td>${esc(dep(r.lead_department))}</td><td>${esc((r.cooperating_departments || []).map(dep).join('、'))}</td></tr>`).join('')}</tbody></table>`;

  const section = (id) => root.querySelector(id).closest('section');
  async function load() {
    const [cur, draft, diff, pol, cal] = await Promise.all([
      api('/v1/catalogue').catch(() => null), api('/v1/catalogue?version=draft').catch(() => null),
      api('/v1/catalogue:diff').catch(() => null), api('/v1/sla/policies').catch(() => null),
      api(`/v1/sla/calendar/${new Date().getFullYear()}`).catch(() => null),
    ]);
    section('#cat-rules').hidden = !cur;
    if (cur) {
      root.querySelector('#cat-version').textContent = `${cur.version || ''}${cur.published_at ? ` · ${when(cur.published_at)}` : ''}`;
      root.querySelector('#cat-rules').innerHTML = ruleRows(cur.rules || []);
    }
    section('#draft-form').hidden = !cur;
    const src = draft || cur;
    if (src) {
      root.querySelector('#draft-json').value = JSON.stringify(src.rules || [], null, 2);
      root.querySelector('#draft-desc').value = draft?.description || '';
    }
    const changes = diff?.changes || [];
    root.querySelector('#diff').innerHTML = changes.length ? `<table><tbody>${changes.map((c) => {
      const r = c.after || c.before || {};
      return `<tr><td><span class="badge">${esc(t(`admin.change.${c.change}`))}</span></td><td>${esc(nameOf(catBy[r.category], r.category))}</td>
        <td>${esc(r.district_id || t('signin.cityWide'))}</td><td>${esc(dep(c.before?.lead_department || ''))} → ${esc(dep(c.after?.lead_department || ''))}</td></tr>`;
    }).join('')}</tbody></table>` : `<p class="muted">${esc(t('admin.noDiff'))}</p>`;
    section('#policies').hidden = !pol;
    root.querySelector('#policies').innerHTML = (pol?.policies || []).length ? `<table><thead><tr><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('admin.districts'))}</th><th scope="col">${esc(t('admin.sla'))}</th></tr></thead><tbody>
      ${pol.policies.map((p) => `<tr><td>${esc(nameOf(catBy[p.category], p.category))}</td><td>${esc(p.district_id ? nameOf(distBy[p.district_id], p.district_id) : t('signin.cityWide'))}</td>
        <td>${mins(p.ack_within)} / ${mins(p.arrive_within)} min / ${p.resolve_working_days ? `${p.resolve_working_days} ${esc(t('admin.workdays'))}` : hours(p.resolve_within)}</td></tr>`).join('')}</tbody></table>` : `<p class="muted">${esc(t('none'))}</p>`;
    const pms = await api('/v1/property-companies').catch(() => null);
    root.querySelector('#pm-list').innerHTML = (pms?.companies || []).length ? `<table><tbody>${pms.companies.map((c) => `<tr data-company="${esc(c.code)}"><td><code>${esc(c.code)}</code></td>
      <td>${esc(c.name)}</td><td>${esc(c.name_en || '')}</td><td>${esc((c.community_codes || []).join('、'))}</td></tr>`).join('')}</tbody></table>` : `<p class="muted">${esc(t('none'))}</p>`;
    section('#calendar').hidden = !cal;
    root.querySelector('#calendar').innerHTML = (cal?.days || []).length ? `<table><tbody>${cal.days.map((d) => `<tr data-day="${esc(d.date)}"><td>${esc(d.date)}</td><td>${esc(t(`admin.day.${d.kind}`))}</td><td>${esc(d.name || '')}</td>
      <td><button type="button" class="ghost" data-delete-day="${esc(d.date)}" aria-label="${esc(t('admin.deleteDay'))} ${esc(d.date)}">${esc(t('admin.delete'))}</button></td></tr>`).join('')}</tbody></table>` : `<p class="muted">${esc(t('none'))}</p>`;
  }

  root.querySelector('#draft-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let rules;
    try {
      rules = JSON.parse(root.querySelector('#draft-json').value);
    } catch (err) {
      toast(t('err', { m: `JSON: ${err.message}` }), 'error');
      root.querySelector('#draft-json').setAttribute('aria-invalid', 'true');
      return;
    }
    root.querySelector('#draft-json').removeAttribute('aria-invalid');
    try {
      await api('/v1/catalogue/draft', { method: 'PUT', body: { rules, description: root.querySelector('#draft-desc').value } });
      toast(t('saved'));
      load();
    } catch (err) {
      toastError(err);
    }
  });
  // 物业: a property company and the communities it serves (routing's SavePropertyCompany).
  root.querySelector('#pm-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const body = { name: String(fd.get('name') || ''), name_en: String(fd.get('name_en') || ''),
      community_codes: String(fd.get('community_codes') || '').split(/[\s,，、]+/).filter(Boolean) };
    try {
      await api(`/v1/property-companies/${encodeURIComponent(String(fd.get('code') || '').trim())}`, { method: 'PUT', body });
      toast(t('saved'));
      load();
    } catch (err) {
      toastError(err);
    }
  });
  root.querySelector('#publish').addEventListener('click', async () => {
    try {
      const c = await api('/v1/catalogue/draft:publish', { method: 'POST', body: {} });
      toast(`${t('admin.published')} ${c?.version || ''}`);
      load();
    } catch (err) {
      toastError(err);
    }
  });
  const save = async (fn) => {
    try {
      await fn();
      toast(t('saved'));
      load();
    } catch (err) {
      toastError(err);
    }
  };
  root.querySelector('#pol-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const secs = (v, k) => `${Math.round(Number(v || 0) * k)}s`;
    const policy = {
      category: fd.get('category'), district_id: fd.get('district_id'),
      ack_within: secs(fd.get('ack'), 60), arrive_within: secs(fd.get('arrive'), 60),
      resolve_within: secs(fd.get('resolve'), 3600), resolve_working_days: Number(fd.get('workdays') || 0),
    };
    save(() => api('/v1/sla/policies', { method: 'POST', body: policy }));
  });
  root.querySelector('#cal-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const day = { date: fd.get('date'), kind: fd.get('kind'), name: String(fd.get('name') || '') };
    save(() => api(`/v1/sla/calendar/days/${encodeURIComponent(day.date)}`, { method: 'PUT', body: day }));
  });
  root.querySelector('#calendar').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-delete-day]');
    if (b) save(() => api(`/v1/sla/calendar/days/${encodeURIComponent(b.dataset.deleteDay)}`, { method: 'DELETE' }));
  });
  // Departments and streets: saved, then the page is drawn again from fresh reference data.
  const reference = async (fn) => {
    try {
      await fn();
      toast(t('saved'));
      forgetRefs();
      await render(root);
    } catch (err) {
      toastError(err);
    }
  };
  const depForm = root.querySelector('#dep-form');
  root.querySelector('#departments').addEventListener('click', (ev) => {
    const d = depBy[ev.target.closest('[data-edit-dept]')?.dataset.editDept];
    if (!d) return;
    // (form.name and form.id are the form's own attributes, so the fields are found by id)
    root.querySelector('#dep-code').value = d.code;
    root.querySelector('#dep-name').value = d.name;
    root.querySelector('#dep-name-en').value = d.name_en;
    root.querySelector('#dep-name').focus();
  });
  depForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(depForm);
    reference(() => api(`/v1/departments/${encodeURIComponent(fd.get('code'))}`, { method: 'PUT', body: { name: fd.get('name'), name_en: fd.get('name_en') } }));
  });
  const stForm = root.querySelector('#st-form');
  const stBy = byKey(sts, 'id');
  const fillStreet = () => {
    const s = stBy[root.querySelector('#st-id').value];
    root.querySelector('#st-name').value = s?.name || '';
    root.querySelector('#st-name-en').value = s?.name_en || '';
  };
  root.querySelector('#st-id').addEventListener('change', fillStreet);
  fillStreet();
  stForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(stForm);
    reference(() => api(`/v1/streets/${encodeURIComponent(fd.get('id'))}`, { method: 'PATCH', body: { name: fd.get('name'), name_en: fd.get('name_en') } }));
  });
  await Promise.all([load(), renderGrants(root.querySelector('#grants')), renderChannels(root.querySelector('#channels'))]);
  return () => {};
}
