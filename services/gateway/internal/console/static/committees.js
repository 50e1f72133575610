// Community committees (社区居委会) in the department pickers. A committee's
// desk is a desk whose department is cc-<community code>; committees are not
// department rows (7,535 would flood every list), so a picker that chooses a
// desk for a district offers that district's committees, by name, after the
// departments: the official communities of routing's divisions
// (GET /v1/divisions?level=community&parent_code=<district>). The same lists,
// fetched once per district, name a committee's desk wherever the console
// shows a department (deptName).
import { api } from './api.js';
import { getLang, nameOf } from './i18n.js';
import { esc } from './ui.js';

const cache = new Map(); // district → its committees (a promise)
const named = new Map(); // cc-<community code> → the committee's name, from the lists fetched so far
const DESK = /^cc-(\d{12})$/;

/**
 * The committees of a district as {code: 'cc-<community code>', name}. get
 * fetches a path as JSON (the sign-in page passes one with its borrowed token).
 */
export function committees(district, get = (p) => api(p)) {
  if (!/^\d{6}$/.test(district || '')) return Promise.resolve([]);
  if (!cache.has(district)) {
    cache.set(district, get(`/v1/divisions?level=community&parent_code=${district}`)
      .then((r) => {
        const list = (r?.divisions || []).map((d) => ({ code: `cc-${d.code}`, name: d.name }));
        for (const c of list) named.set(c.code, c.name);
        return list;
      })
      .catch((err) => { cache.delete(district); throw err; }));
  }
  return cache.get(district);
}

/**
 * Fetches the committees of the districts of the committee desks among codes
 * (each district's once), so that deptName names them. Never fails: a desk
 * whose district's list cannot be had is named by its code.
 */
export async function nameCommittees(codes, get) {
  const districts = new Set();
  for (const code of codes) {
    const m = DESK.exec(code || '');
    if (m && !named.has(code)) districts.add(m[1].slice(0, 6));
  }
  await Promise.all([...districts].map((d) => committees(d, get).catch(() => [])));
}

/**
 * The name of the desk of department code for people: its department row's
 * (dep), a committee's desk's committee's ("XX社区居委会", once its district's
 * list is fetched: nameCommittees), else the code.
 */
export function deptName(dep, code) {
  const m = DESK.exec(code || '');
  const unnamed = m && `${getLang() === 'en' ? 'Community committee' : '社区居委会'} ${m[1]}`;
  return nameOf(dep, named.get(code) || unnamed || code || '');
}

/** Whether code is a committee's desk (cc-<community code>): an admin's lists show its code beside its name. */
export const isCommitteeDesk = (code) => DESK.test(code || '');

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
