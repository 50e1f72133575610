// The REST client: the bearer token of the signed-in user, the contract's
// error shape, and a cache of the reference data every page names things by.

import { now } from './clock.js';

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

// The person signed in through the identity provider (a session cookie the
// page cannot read): what GET /auth/session answered, or null.
let session = null;
// Whether the gateway offers single sign-on (GET /auth/session is routed).
let sso = false;

/**
 * Asks the gateway who the session cookie signs in, if anyone. Resolves to
 * whether single sign-on is offered at all.
 */
export async function loadSession() {
  const r = await fetch('/auth/session', { headers: { Accept: 'application/json' }, cache: 'no-store' }).catch(() => null);
  sso = !!r && (r.ok || r.status === 401);
  session = r?.ok ? await r.json().catch(() => null) : null;
  return sso;
}

/** Whether the gateway offers single sign-on. */
export function ssoOffered() { return sso; }

/** Whether the signed-in person came through single sign-on (not a pasted or dev token). */
export function viaSession() { return !token() && !!session; }

/** Ends the single sign-on session; resolves to where the browser goes next (the provider's sign-out). */
export async function endSession() {
  session = null;
  const r = await fetch('/auth/logout', { method: 'POST', headers: { Accept: 'application/json' } }).catch(() => null);
  const body = r?.ok ? await r.json().catch(() => null) : null;
  return body?.redirect || '/';
}

/** Forgets the session (the gateway refused it). */
export function forgetSession() { session = null; }

/** The signed-in identity from the token's claims or the session (the server checks them; this only shapes the UI). */
export function identity() {
  const tok = token();
  if (!tok) {
    if (!session) return null;
    return { subject: session.subject, name: session.name || '', role: session.role, street: session.street || '', district: session.district || '', department: session.department || '', grid: session.grid || '' };
  }
  try {
    const b64 = tok.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const c = JSON.parse(json);
    if (c.exp && c.exp * 1000 < now()) return null; // exp is on the services' (drill) clock
    return { subject: c.sub, role: c.role, street: c.street || '', district: c.district || '', department: c.department || '', grid: c.grid || '' };
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

/**
 * Sends a file as the raw body of POST path (the attachment upload: the
 * gateway sniffs the type from the bytes and enforces the size and count
 * limits). Throws ApiError, with the contract's message, on a refusal.
 */
export async function upload(path, file) {
  const h = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (token()) h.Authorization = `Bearer ${token()}`;
  const resp = await fetch(path, { method: 'POST', headers: h, body: file });
  const data = await resp.json().catch(() => null);
  if (!resp.ok) {
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('whistle:unauthorized'));
    throw new ApiError(resp.status, data);
  }
  return data;
}

/**
 * Fetches every page of a list endpoint (bounded, so a huge list cannot hang
 * the page). onPage(items, last) sees each page as it arrives; a small
 * firstPageSize gets the first screenful drawn sooner.
 */
export async function all(path, key, { pageSize = 200, firstPageSize = pageSize, maxPages = 20, onPage = null } = {}) {
  const sep = path.includes('?') ? '&' : '?';
  const get = (i, next) => api(`${path}${sep}page_size=${i ? pageSize : firstPageSize}${next ? `&page_token=${encodeURIComponent(next)}` : ''}`);
  const out = [];
  let pending = get(0, '');
  for (let i = 0; pending; i++) {
    const page = await pending;
    const items = page?.[key] || [];
    out.push(...items);
    const next = page?.next_page_token || '';
    // Ask for the next page before handing this one over, so drawing it overlaps the request.
    pending = next && i + 1 < maxPages ? get(i + 1, next) : null;
    onPage?.(items, !pending);
  }
  return out;
}

/**
 * Fetches a document route (a CSV file, a printable page) with the token;
 * resolves to its blob and the file name of its Content-Disposition.
 */
export async function fetchFile(path) {
  const resp = await fetch(path, { headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  if (!resp.ok) {
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('whistle:unauthorized'));
    throw new ApiError(resp.status, await resp.json().catch(() => null));
  }
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(resp.headers.get('Content-Disposition') || '')?.[1];
  return { blob: await resp.blob(), filename: name ? decodeURIComponent(name) : '' };
}

/**
 * Opens a document route (a printable page, a PDF form) in a new tab: the tab
 * is opened at the click, so no pop-up blocker stops it, then given the file.
 */
export async function openDocument(path) {
  const tab = window.open('', '_blank');
  try {
    const { blob } = await fetchFile(path);
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url; else window.location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    tab?.close();
    throw err;
  }
}

const cache = new Map();
/** Reference data, fetched once per page load. */
export function ref(path, key) {
  if (!cache.has(path)) {
    cache.set(path, api(path).then((r) => r?.[key] || []).catch((e) => { cache.delete(path); throw e; }));
  }
  return cache.get(path);
}

/** Forgets the cached reference data (after an admin changed it). */
export function forgetRefs() { cache.clear(); }

export const categories = () => ref('/v1/categories', 'categories');
export const departments = () => ref('/v1/departments', 'departments');
export const districts = () => ref('/v1/districts', 'districts');
export const streets = (district = '') => ref(`/v1/streets${district ? `?district=${encodeURIComponent(district)}` : ''}`, 'streets');

/** Indexes a list by a key, for lookups by code or id. */
export function byKey(list, key = 'code') {
  return Object.fromEntries(list.map((x) => [x[key], x]));
}
