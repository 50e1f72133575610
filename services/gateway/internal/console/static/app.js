// The console's shell: sign-in, the language toggle, and a hash router that
// shows the page of the signed-in role. Pages are ES modules with a
// render(root, who) function that returns a cleanup function.
import { api, identity, setToken, districts, streets, departments, byKey, loadSession, ssoOffered, viaSession, endSession, forgetSession } from './api.js';
import { t, setLang, getLang, nameOf } from './i18n.js';
import { esc, toastError } from './ui.js';
import { offerCommittees, nameCommittees, deptName } from './committees.js';

const pages = {
  street: () => import('./street.js'),
  desk: () => import('./desk.js'),
  supervisor: () => import('./supervisor.js'),
  admin: () => import('./admin.js'),
  'street/inbox': () => import('./inbox.js'),
  grid: () => import('./grid.js'),
  'street/hotspots': () => import('./hotspots.js'),
  'supervisor/hotspots': () => import('./hotspots.js'),
  'supervisor/drills': () => import('./drills.js'),
  'admin/hotspots': () => import('./hotspots.js'),
  'supervisor/search': () => import('./search.js'),
  'street/search': () => import('./search.js'),
  'desk/search': () => import('./search.js'),
};
// The pages in a role's navigation (a role without an entry has its one page).
const navPages = {
  street: ['street', 'street/inbox', 'street/search', 'street/hotspots'],
  desk: ['desk', 'desk/search'],
  supervisor: ['supervisor', 'supervisor/search', 'supervisor/hotspots', 'supervisor/drills'],
  admin: ['admin', 'admin/hotspots'],
};
// The hash's path (#/street/inbox?…): its segments, without the query a
// page may keep there (the search's filters).
function hashPath() {
  return location.hash.replace(/^#\/?/, '').split('?')[0].split('/');
}
// The page of the hash: a role's sub-page (#/street/inbox) or the role's page.
function pageKey(who) {
  const sub = `${who.role}/${hashPath()[1]}`;
  return pages[sub] ? sub : who.role;
}
let shown = '';

let cleanup = null;
let generation = 0; // a newer route() makes an older, still loading page stop itself

function shell(who) {
  document.title = `${t('app.name')} · Whistle`;
  document.querySelector('[data-t="app.name"]').textContent = t('app.name');
  document.getElementById('lang').textContent = t('lang.other');
  document.getElementById('lang').setAttribute('aria-label', getLang() === 'zh' ? 'Switch to English' : '切换到中文');
  const out = document.getElementById('signout');
  out.textContent = t('signout');
  out.hidden = !who;
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', getLang() === 'zh' ? '主导航' : 'Main');
  nav.innerHTML = who ? (navPages[who.role] || [who.role]).map((k) => `<a href="#/${esc(k)}"${k === pageKey(who) ? ' aria-current="page"' : ''}>${esc(t(`nav.${k}`))}</a>`).join('') : '';
  document.getElementById('who').textContent = who ? describeWho(who) : '';
}

let names = { districts: {}, streets: {}, departments: {} };
function describeWho(who) {
  const parts = [t(`role.${who.role}`)];
  if (who.street) parts.push(nameOf(names.streets[who.street], who.street));
  else if (who.district) parts.push(nameOf(names.districts[who.district], who.district));
  else if (who.role === 'supervisor') parts.push(t('signin.cityWide'));
  if (who.department) parts.push(deptName(names.departments[who.department], who.department));
  if (who.grid) parts.push(`${t('signin.grid')} ${who.grid}`);
  return parts.join(' · ');
}

async function route() {
  const gen = ++generation;
  if (cleanup) { cleanup(); cleanup = null; }
  const main = document.getElementById('main');
  const who = identity();
  shell(who);
  if (!who) {
    if (location.hash !== '#/signin') history.replaceState(null, '', '#/signin');
    await renderSignIn(main);
    return;
  }
  const [want, sub] = hashPath();
  if (want !== who.role) {
    // Another role's link to a page this role has too (a search sent by a
    // supervisor to a street) opens this role's, with its query.
    const same = sub && pages[`${who.role}/${sub}`];
    history.replaceState(null, '', same ? `#/${who.role}/${sub}${location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?')) : ''}` : `#/${who.role}`);
  }
  shown = pageKey(who);
  const page = pages[shown];
  if (!page) {
    main.innerHTML = `<p>${esc(who.role)}?</p>`;
    return;
  }
  main.innerHTML = `<p class="loading">${esc(t('loading'))}</p>`;
  const mod = await page();
  if (gen !== generation) return;
  // Each page draws into a container of its own: a page left while an answer
  // was on its way then draws into its detached container, never into the
  // next page's elements (or into nothing, which throws).
  const root = document.createElement('div');
  root.className = 'page';
  main.replaceChildren(root);
  const stop = await mod.render(root, who);
  if (gen !== generation) { stop?.(); return; }
  cleanup = stop;
  // The names in the header are cosmetic: fetch them once the page is up, not
  // beside it (a phone has few connections to spare). A district's streets are
  // the list its pages already fetched; a committee's desk is named by its
  // district's committees.
  Promise.all([districts(), streets(who.district), departments(), nameCommittees([who.department])]).then(([ds, ss, deps]) => {
    names = { districts: byKey(ds, 'id'), streets: byKey(ss, 'id'), departments: byKey(deps) };
    if (gen === generation) shell(who);
  }).catch(() => {});
}

async function renderSignIn(main) {
  const ssoLink = ssoOffered()
    ? `<p><a id="sso" class="button primary" href="/auth/login">${esc(t('signin.sso'))}</a></p><p class="hint">${esc(t('signin.ssoHint'))}</p>`
    : '';
  main.innerHTML = `<section class="card signin"><h1>${esc(t('signin.title'))}</h1>${ssoLink}<div id="dev"></div>
    <form id="tokform" class="stack">
      <label for="tok">${esc(t('signin.token'))}</label>
      <textarea id="tok" rows="3" autocomplete="off" spellcheck="false"></textarea>
      <button type="submit">${esc(t('signin.tokenGo'))}</button>
    </form></section>`;
  main.querySelector('#tokform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken(main.querySelector('#tok').value.trim());
    route();
  });
  const dev = main.querySelector('#dev');
  // The dev token endpoint answers 405 to GET when dev sign-in is on, 404 when off.
  const probe = await fetch('/v1/dev/tokens').catch(() => null);
  if (!probe || probe.status === 404) {
    dev.innerHTML = `<p>${esc(t('signin.devoff'))}</p>`;
    return;
  }
  // Reference data needs a signed-in caller: borrow an admin dev token to fill the pickers.
  let ds = [], ss = [], deps = [], get = null;
  try {
    const { token } = await api('/v1/dev/tokens', { method: 'POST', body: { role: 'admin' }, auth: false });
    get = (p) => fetch(p, { headers: { Authorization: `Bearer ${token}` } }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))));
    [ds, ss, deps] = await Promise.all([get('/v1/districts'), get('/v1/streets'), get('/v1/departments')])
      .then(([a, b, c]) => [a.districts || [], b.streets || [], c.departments || []]);
  } catch (err) {
    toastError(err);
  }
  const opt = (v, label, sel) => `<option value="${esc(v)}"${sel ? ' selected' : ''}>${esc(label)}</option>`;
  const distOpts = (withCity) => (withCity ? opt('', t('signin.cityWide')) : '') + ds.map((d) => opt(d.id, `${nameOf(d)} ${d.id}`, d.id === '110101')).join('');
  dev.innerHTML = `<h2>${esc(t('signin.dev'))}</h2><div class="grid4">
    <form class="card stack" data-role="street">
      <h3>${esc(t('role.street'))}</h3>
      <label for="si-street">${esc(t('signin.streetPick'))}</label>
      <select id="si-street" name="street_id">${ss.map((s) => opt(s.id, `${nameOf(s)} ${s.id}`, s.id === '110101001')).join('')}</select>
      <button type="submit" class="primary">${esc(t('signin.asStreet'))}</button>
    </form>
    <form class="card stack" data-role="grid">
      <h3>${esc(t('role.grid'))}</h3>
      <label for="si-grid-street">${esc(t('signin.streetPick'))}</label>
      <select id="si-grid-street" name="street_id">${ss.map((s) => opt(s.id, `${nameOf(s)} ${s.id}`, s.id === '110101001')).join('')}</select>
      <label for="si-grid">${esc(t('signin.grid'))}</label>
      <input id="si-grid" name="grid_id" value="DHM-01" maxlength="64" autocomplete="off">
      <button type="submit" class="primary">${esc(t('signin.asGrid'))}</button>
    </form>
    <form class="card stack" data-role="desk">
      <h3>${esc(t('role.desk'))}</h3>
      <label for="si-desk-district">${esc(t('signin.district'))}</label>
      <select id="si-desk-district" name="district_id">${distOpts(false)}</select>
      <label for="si-desk-dept">${esc(t('signin.deskDept'))}</label>
      <select id="si-desk-dept" name="department">${deps.map((d) => opt(d.code, `${nameOf(d)} (${d.code})`, d.code === 'police')).join('')}</select>
      <button type="submit" class="primary">${esc(t('signin.asDesk'))}</button>
    </form>
    <form class="card stack" data-role="supervisor">
      <h3>${esc(t('role.supervisor'))}</h3>
      <label for="si-sup-district">${esc(t('signin.district'))}</label>
      <select id="si-sup-district" name="district_id">${distOpts(true)}</select>
      <button type="submit" class="primary">${esc(t('signin.asSupervisor'))}</button>
    </form>
    <form class="card stack" data-role="admin">
      <h3>${esc(t('role.admin'))}</h3>
      <button type="submit" class="primary">${esc(t('signin.asAdmin'))}</button>
    </form></div>`;
  // A committee's desk (cc-<community code>) signs in as a desk too: the chosen district's committees follow its departments.
  const deskDistrict = dev.querySelector('#si-desk-district');
  const offer = () => get && offerCommittees(dev.querySelector('#si-desk-dept'), deskDistrict.value, get);
  deskDistrict.addEventListener('change', offer);
  offer();
  for (const form of dev.querySelectorAll('form')) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { role: form.dataset.role };
      for (const [k, v] of new FormData(form)) if (v) body[k] = v;
      try {
        const { token } = await api('/v1/dev/tokens', { method: 'POST', body, auth: false });
        setToken(token);
        history.replaceState(null, '', `#/${body.role}`);
        route();
      } catch (err) {
        toastError(err);
      }
    });
  }
}

document.getElementById('lang').addEventListener('click', () => {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  route();
});
document.getElementById('signout').addEventListener('click', async () => {
  if (viaSession()) {
    // The gateway ends the session, then the provider its own.
    location.assign(await endSession());
    return;
  }
  setToken('');
  history.replaceState(null, '', '#/signin');
  route();
});
// A token the services no longer accept (expired, revoked, another key): sign in again.
window.addEventListener('whistle:unauthorized', () => {
  setToken('');
  forgetSession();
  history.replaceState(null, '', '#/signin');
  route();
});
window.addEventListener('hashchange', () => {
  const who = identity();
  if (!who || !location.hash.startsWith(`#/${who.role}`) || pageKey(who) !== shown) route();
});
setLang(getLang());
loadSession().finally(route);
