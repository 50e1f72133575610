// The admin's page: the reference data every other page relies on. Read-only
// for now; editing the routing catalogue, SLA policies and the calendar is
// left for later (see the report of the console issue).
import { categories, departments, districts, streets, byKey } from './api.js';
import { t, nameOf, describe } from './i18n.js';
import { esc } from './ui.js';

export async function render(root) {
  const [cats, deps, dists, sts] = await Promise.all([categories(), departments(), districts(), streets()]);
  const depBy = byKey(deps);
  const perDistrict = {};
  for (const s of sts) perDistrict[s.district_id] = (perDistrict[s.district_id] || 0) + 1;
  const mins = (d) => (d ? Math.round(parseFloat(d) / 60) : '–');
  root.innerHTML = `<section aria-labelledby="a-h"><h1 id="a-h">${esc(t('admin.title'))}</h1>
    <p class="hint">${esc(t('admin.readonly'))}</p>
    <section class="card"><h2>${esc(t('admin.categories'))}</h2><div class="scroll"><table>
      <thead><tr><th scope="col">code</th><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('admin.lead'))}</th><th scope="col">${esc(t('admin.coop'))}</th><th scope="col">${esc(t('admin.sla'))}</th></tr></thead>
      <tbody>${cats.map((c) => `<tr><td><code>${esc(c.code)}</code></td><td><strong>${esc(nameOf(c))}</strong><br><span class="muted">${esc(describe(c.description))}</span></td>
        <td>${esc(nameOf(depBy[c.lead_department], c.lead_department))}</td><td>${esc((c.cooperating_departments || []).map((d) => nameOf(depBy[d], d)).join('、'))}</td>
        <td>${mins(c.sla?.ack_within)} / ${mins(c.sla?.arrive_within)} min / ${c.sla?.resolve_within ? `${Math.round(parseFloat(c.sla.resolve_within) / 3600)} h` : '–'}</td></tr>`).join('')}</tbody></table></div></section>
    <div class="cols">
      <section class="card"><h2>${esc(t('admin.departments'))}</h2><table><tbody>${deps.map((d) => `<tr><td><code>${esc(d.code)}</code></td><td>${esc(nameOf(d))}</td></tr>`).join('')}</tbody></table></section>
      <section class="card"><h2>${esc(t('admin.districts'))} / ${esc(t('admin.streets'))}</h2><table><tbody>${dists.map((d) => `<tr><td><code>${esc(d.id)}</code></td><td>${esc(nameOf(d))}</td><td>${perDistrict[d.id] || 0}</td></tr>`).join('')}</tbody></table></section>
    </div></section>`;
  return () => {};
}
