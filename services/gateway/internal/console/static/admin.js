// The admin's page: the routing catalogue (the version in force, the draft
// as JSON with its diff, publishing), SLA policy overrides, the working-day
// calendar, and the reference data every other page names things by.
import { api, categories, departments, districts, streets, byKey } from './api.js';
import { t, nameOf, describe, when } from './i18n.js';
import { esc, toast, toastError } from './ui.js';

const mins = (d) => (d ? Math.round(parseFloat(d) / 60) : '–');
const hours = (d) => (d ? `${Math.round(parseFloat(d) / 3600)} h` : '–');

export async function render(root) {
  const [cats, deps, dists, sts] = await Promise.all([categories(), departments(), districts(), streets()]);
  const depBy = byKey(deps), catBy = byKey(cats), distBy = byKey(dists, 'id');
  const perDistrict = {};
  for (const s of sts) perDistrict[s.district_id] = (perDistrict[s.district_id] || 0) + 1;
  const dep = (c) => nameOf(depBy[c], c);
  root.innerHTML = `<section aria-labelledby="a-h"><h1 id="a-h">${esc(t('admin.title'))}</h1>
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
      <section class="card" aria-labelledby="pol-h"><h2 id="pol-h">${esc(t('admin.policies'))}</h2><div id="policies" class="scroll"></div></section>
      <section class="card" aria-labelledby="cal-h"><h2 id="cal-h">${esc(t('admin.calendar'))} ${new Date().getFullYear()}</h2><div id="calendar" class="scroll"></div></section>
    </div>
    <section class="card"><h2>${esc(t('admin.categories'))}</h2><div class="scroll"><table>
      <thead><tr><th scope="col">code</th><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('admin.lead'))}</th><th scope="col">${esc(t('admin.coop'))}</th><th scope="col">${esc(t('admin.sla'))}</th></tr></thead>
      <tbody>${cats.map((c) => `<tr><td><code>${esc(c.code)}</code></td><td><strong>${esc(nameOf(c))}</strong><br><span class="muted">${esc(describe(c.description))}</span></td>
        <td>${esc(dep(c.lead_department))}</td><td>${esc((c.cooperating_departments || []).map(dep).join('、'))}</td>
        <td>${mins(c.sla?.ack_within)} / ${mins(c.sla?.arrive_within)} min / ${hours(c.sla?.resolve_within)}</td></tr>`).join('')}</tbody></table></div></section>
    <div class="cols">
      <section class="card"><h2>${esc(t('admin.departments'))}</h2><table><tbody>${deps.map((d) => `<tr><td><code>${esc(d.code)}</code></td><td>${esc(nameOf(d))}</td></tr>`).join('')}</tbody></table></section>
      <section class="card"><h2>${esc(t('admin.districts'))} / ${esc(t('admin.streets'))}</h2><table><tbody>${dists.map((d) => `<tr><td><code>${esc(d.id)}</code></td><td>${esc(nameOf(d))}</td><td>${perDistrict[d.id] || 0}</td></tr>`).join('')}</tbody></table></section>
    </div></section>`;

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
    section('#calendar').hidden = !cal;
    root.querySelector('#calendar').innerHTML = (cal?.days || []).length ? `<table><tbody>${cal.days.map((d) => `<tr><td>${esc(d.date)}</td><td>${esc(t(`admin.day.${d.kind}`))}</td><td>${esc(d.name || '')}</td></tr>`).join('')}</tbody></table>` : `<p class="muted">${esc(t('none'))}</p>`;
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
  root.querySelector('#publish').addEventListener('click', async () => {
    try {
      const c = await api('/v1/catalogue/draft:publish', { method: 'POST', body: {} });
      toast(`${t('admin.published')} ${c?.version || ''}`);
      load();
    } catch (err) {
      toastError(err);
    }
  });
  await load();
  return () => {};
}
