// The REST client: the bearer token of the signed-in user, the contract's
// error shape, and a cache of the reference data every page names things by.

const TOKEN_KEY = 'whistle.token';

/** An API error carrying the contract's code, message and field details. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || String(status);
    this.details = e.details || [];
  }
}

export function token() { return localStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(tok) {
  if (tok) localStorage.setItem(TOKEN_KEY, tok); else localStorage.removeItem(TOKEN_KEY);
}

/** The signed-in identity from the token's claims (the server checks them; this only shapes the UI). */
export function identity() {
  const tok = token();
  if (!tok) return null;
  try {
    const b64 = tok.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const c = JSON.parse(json);
    if (c.exp && c.exp * 1000 < Date.now()) return null;
    return { subject: c.sub, role: c.role, street: c.street || '', district: c.district || '', department: c.department || '' };
  } catch {
    return null;
  }
}

/** Calls the API; a JSON body is sent for POST. Throws ApiError on a non-2xx answer. */
export async function api(path, { method = 'GET', body, headers = {}, auth = true } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (auth && token()) h.Authorization = `Bearer ${token()}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('whistle:unauthorized'));
    throw new ApiError(resp.status, data);
  }
  return data;
}

/** Fetches every page of a list endpoint (bounded, so a huge list cannot hang the page). */
export async function all(path, key, { pageSize = 200, maxPages = 20, onPage = null } = {}) {
  const out = [];
  let tokenParam = '';
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}page_size=${pageSize}${tokenParam ? `&page_token=${encodeURIComponent(tokenParam)}` : ''}`);
    out.push(...(page?.[key] || []));
    tokenParam = page?.next_page_token || '';
    if (onPage && tokenParam) onPage(out.slice());
    if (!tokenParam) break;
  }
  return out;
}

const cache = new Map();
/** Reference data, fetched once per page load. */
export function ref(path, key) {
  if (!cache.has(path)) {
    cache.set(path, api(path).then((r) => r?.[key] || []).catch((e) => { cache.delete(path); throw e; }));
  }
  return cache.get(path);
}

export const categories = () => ref('/v1/categories', 'categories');
export const departments = () => ref('/v1/departments', 'departments');
export const districts = () => ref('/v1/districts', 'districts');
export const streets = (district = '') => ref(`/v1/streets${district ? `?district=${encodeURIComponent(district)}` : ''}`, 'streets');

/** Indexes a list by a key, for lookups by code or id. */
export function byKey(list, key = 'code') {
  return Object.fromEntries(list.map((x) => [x[key], x]));
}
