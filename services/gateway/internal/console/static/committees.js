// Community committees (社区居委会) in the department pickers. A committee's
// desk is a desk whose department is cc-<community code>; committees are not
// department rows (7,535 would flood every list), so a picker that chooses a
// desk for a district offers that district's committees, by name, after the
// departments: the official communities of routing's divisions
// (GET /v1/divisions?level=community&parent_code=<district>).
import { api } from './api.js';
import { getLang } from './i18n.js';
import { esc } from './ui.js';

const cache = new Map();

/**
 * The committees of a district as {code: 'cc-<community code>', name}. get
 * fetches a path as JSON (the sign-in page passes one with its borrowed token).
 */
export function committees(district, get = (p) => api(p)) {
  if (!/^\d{6}$/.test(district || '')) return Promise.resolve([]);
  if (!cache.has(district)) {
    cache.set(district, get(`/v1/divisions?level=community&parent_code=${district}`)
      .then((r) => (r?.divisions || []).map((d) => ({ code: `cc-${d.code}`, name: d.name })))
      .catch((err) => { cache.delete(district); throw err; }));
  }
  return cache.get(district);
}

/**
 * Offers the committees of district in select (an optgroup after its
 * departments), replacing another district's; none without a district. A
 * picker keeps working with its departments when the list cannot be had.
 */
export async function offerCommittees(select, district, get) {
  select.dataset.committees = district || '';
  let list = [];
  try {
    list = await committees(district, get);
  } catch {
    list = [];
  }
  if (select.dataset.committees !== (district || '')) return; // another district was picked meanwhile
  const was = select.value;
  select.querySelector('optgroup[data-committees]')?.remove();
  if (list.length) {
    const label = getLang() === 'en' ? 'Community committees' : '社区居委会';
    select.insertAdjacentHTML('beforeend', `<optgroup data-committees label="${esc(label)}">${list.map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join('')}</optgroup>`);
  }
  if ([...select.options].some((o) => o.value === was)) select.value = was;
}
