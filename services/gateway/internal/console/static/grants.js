// The admin's grants: who may sign in through the identity provider with
// which role and scope, granted and revoked here (GET/PUT/DELETE
// /v1/admin/grants). Shown only when the gateway offers single sign-on.
import { api, departments, districts, streets, byKey } from './api.js';
import { offerCommittees, nameCommittees, deptName, isCommitteeDesk } from './committees.js';
import { t, nameOf, when } from './i18n.js';
import { esc, toast, toastError } from './ui.js';

const ROLES = ['street', 'grid', 'desk', 'supervisor', 'admin'];

/** Renders the grants card into el; leaves it empty when single sign-on is off. */
export async function renderGrants(el) {
  let list;
  try {
    list = await api('/v1/admin/grants');
  } catch (err) {
    if (err.status !== 404) toastError(err);
    return;
  }
  const [deps, dists, sts] = await Promise.all([departments(), districts(), streets(), nameCommittees((list.grants || []).map((g) => g.department))]);
  const depBy = byKey(deps), distBy = byKey(dists, 'id'), stBy = byKey(sts, 'id');
  const opt = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  const scope = (g) => [g.street_id && nameOf(stBy[g.street_id], g.street_id), g.grid_id,
    !g.street_id && g.district_id && nameOf(distBy[g.district_id], g.district_id),
    g.department && deptName(depBy[g.department], g.department)].filter(Boolean).join(' · ');
  // A committee's desk by its name, with its code beside it (communities' names repeat across streets).
  const scopeCell = (g) => (g.revoked ? '' : `${esc(scope(g))}${isCommitteeDesk(g.department) ? ` <code class="muted">${esc(g.department)}</code>` : ''}`);
  const draw = (grants) => grants.map((g) => `<tr data-subject="${esc(g.subject)}">
      <td>${esc(g.name || '')}<br><code>${esc(g.subject)}</code></td>
      <td>${g.revoked ? `<span class="badge">${esc(t('grants.revoked'))}</span>` : esc(t(`role.${g.role}`))}</td>
      <td>${scopeCell(g)}</td><td class="muted">${esc(g.by)}<br>${esc(when(g.at))}</td>
      <td>${g.revoked ? '' : `<button type="button" class="ghost" data-revoke="${esc(g.subject)}" aria-label="${esc(t('grants.revoke'))} ${esc(g.name || g.subject)}">${esc(t('grants.revoke'))}</button>`}</td></tr>`).join('');
  el.innerHTML = `<section class="card" aria-labelledby="gr-h"><h2 id="gr-h">${esc(t('grants.title'))}</h2>
    <p class="hint">${esc(t('grants.hint'))} <code>${esc(list.issuer)}</code></p>
    <div class="scroll"><table><thead><tr><th scope="col">${esc(t('grants.person'))}</th><th scope="col">${esc(t('grants.role'))}</th>
      <th scope="col">${esc(t('grants.scope'))}</th><th scope="col">${esc(t('grants.by'))}</th><th scope="col"><span class="sr-only">${esc(t('grants.revoke'))}</span></th></tr></thead>
      <tbody id="grant-rows">${draw(list.grants || [])}</tbody></table></div>
    <form id="grant-form" class="stack"><h3>${esc(t('grants.grant'))}</h3>
      <div class="row"><div class="stack"><label for="gr-subject">${esc(t('grants.subject'))}</label><input id="gr-subject" name="subject" required maxlength="255" autocomplete="off"></div>
      <div class="stack"><label for="gr-name">${esc(t('grants.name'))}</label><input id="gr-name" name="name" maxlength="100"></div></div>
      <div class="row"><div class="stack"><label for="gr-role">${esc(t('grants.role'))}</label><select id="gr-role" name="role">${ROLES.map((r) => opt(r, t(`role.${r}`))).join('')}</select></div>
      <div class="stack"><label for="gr-district">${esc(t('signin.district'))}</label><select id="gr-district" name="district_id">${opt('', '–')}${dists.map((d) => opt(d.id, `${nameOf(d)} ${d.id}`)).join('')}</select></div></div>
      <div class="row"><div class="stack"><label for="gr-street">${esc(t('signin.streetPick'))}</label><select id="gr-street" name="street_id">${opt('', '–')}${sts.map((s) => opt(s.id, `${nameOf(s)} ${s.id}`)).join('')}</select></div>
      <div class="stack"><label for="gr-dept">${esc(t('signin.deskDept'))}</label><select id="gr-dept" name="department">${opt('', '–')}${deps.map((d) => opt(d.code, nameOf(d))).join('')}</select></div>
      <div class="stack"><label for="gr-grid">${esc(t('grants.grid'))}</label><input id="gr-grid" name="grid_id" maxlength="40"></div></div>
      <button type="submit" class="secondary">${esc(t('grants.grant'))}</button></form></section>`;

  // A desk of a committee (cc-<community code>): the chosen district's committees follow the departments.
  const district = el.querySelector('#gr-district');
  district.addEventListener('change', () => offerCommittees(el.querySelector('#gr-dept'), district.value));
  const reload = async () => {
    const fresh = await api('/v1/admin/grants');
    await nameCommittees((fresh.grants || []).map((g) => g.department));
    el.querySelector('#grant-rows').innerHTML = draw(fresh.grants || []);
  };
  el.querySelector('#grant-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(ev.target)) if (v) body[k] = v;
    const subject = body.subject;
    delete body.subject;
    try {
      await api(`/v1/admin/grants/${encodeURIComponent(subject)}`, { method: 'PUT', body });
      toast(t('grants.granted'));
      ev.target.reset();
      await reload();
    } catch (err) {
      toastError(err);
    }
  });
  el.addEventListener('click', async (ev) => {
    const subject = ev.target.closest('[data-revoke]')?.dataset.revoke;
    if (!subject) return;
    try {
      await api(`/v1/admin/grants/${encodeURIComponent(subject)}`, { method: 'DELETE' });
      toast(t('grants.revokedNow'));
      await reload();
    } catch (err) {
      toastError(err);
    }
  });
}
