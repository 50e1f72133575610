// The console's service worker (docs/duty-desks.md): served at /console/sw.js
// with Service-Worker-Allowed: / and registered for the whole origin by
// pwa.js. It keeps the shell (the page, its modules, styles and icons) and
// the last answers of the desk's queue and the names it shows, so a phone
// that loses the network still opens the console and reads the last queue.
// Everything is network first: online, the console behaves as without it.
// The data is the signed-in person's: it is dropped at sign-out (the page
// says so, and POST /auth/logout passes here) and at any 401.
const SHELL = 'whistle-shell-v1';
const DATA = 'whistle-data-v1';
// Every file the console needs to start, except the supervisor's charts (a
// desktop page, and the biggest file). A test keeps this list complete.
const SHELL_FILES = [
  '/',
  '/console/style.css',
  '/console/app.js', '/console/api.js', '/console/i18n.js', '/console/ui.js', '/console/live.js',
  '/console/clock.js', '/console/alerts.js', '/console/pwa.js', '/console/desk.js', '/console/street.js',
  '/console/inbox.js', '/console/grid.js', '/console/map.js', '/console/timeline.js', '/console/supervisor.js',
  '/console/admin.js', '/console/grants.js', '/console/channels.js', '/console/board.js', '/console/districtmap.js',
  '/console/vendor.js', '/console/hotspots.js', '/console/search.js', '/console/drills.js', '/console/committees.js',
  '/console/manifest.webmanifest',
  '/console/icons/icon.svg', '/console/icons/icon-180.png', '/console/icons/icon-192.png', '/console/icons/icon-512.png',
];
// The API reads kept for offline: the desk's queue and the reference names.
const DATA_PATHS = new Set(['/v1/dispatches', '/v1/categories', '/v1/streets', '/v1/departments', '/v1/districts']);
// Counts sign-outs, so that an answer read before one is not kept after it.
let epoch = 0;

/** Drops the kept data of the person signing out. */
function forget() {
  epoch++;
  return caches.delete(DATA);
}

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== DATA).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (ev) => {
  if (ev.data?.type === 'signout') ev.waitUntil(forget());
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === '/auth/logout') {
    ev.waitUntil(forget());
    return;
  }
  if (req.method !== 'GET') return;
  if (DATA_PATHS.has(url.pathname)) {
    ev.respondWith(networkFirst(req, DATA, ev.clientId));
  } else if (url.pathname === '/' || url.pathname.startsWith('/console/')) {
    ev.respondWith(networkFirst(req, SHELL, ''));
  }
  // Anything else (the live stream, the clock, sign-in, other people's pages) is never kept.
});

/** The network's answer (kept when it is a 200), else the kept one, else the network's error. */
async function networkFirst(req, cacheName, clientId) {
  const asked = epoch;
  try {
    const resp = await fetch(req);
    if (resp.ok && asked === epoch) {
      const copy = keptCopy(resp.clone(), cacheName === DATA);
      caches.open(cacheName).then((c) => (asked === epoch ? c.put(req, copy) : null)).catch(() => {});
    } else if (resp.status === 401) {
      await forget();
    }
    if (clientId) tell(clientId, false);
    return resp;
  } catch (err) {
    // The same request, else (for a first page) the same path: the first page
    // of the queue is asked for with another page size than the refreshes.
    const first = !new URL(req.url).searchParams.has('page_token');
    const kept = await caches.open(cacheName).then(async (c) => (await c.match(req)) || (first ? c.match(req, { ignoreSearch: true }) : undefined));
    if (!kept) throw err;
    if (clientId) tell(clientId, true);
    return kept;
  }
}

/**
 * The copy of resp to keep. An API answer is marked as varying by its
 * Authorization header, so the cache gives it back only to a request with
 * the same bearer token, never to another person's.
 */
function keptCopy(resp, personal) {
  if (!personal) return resp;
  const headers = new Headers(resp.headers);
  headers.append('Vary', 'Authorization');
  return new Response(resp.body, { status: resp.status, statusText: resp.statusText, headers });
}

/** Tells the page whether the data it just read came from the kept copy (it shows "offline"). */
async function tell(clientId, offline) {
  const client = await self.clients.get(clientId);
  client?.postMessage({ type: 'whistle-data', offline });
}

self.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  const url = ev.notification.data?.url || '/';
  ev.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
    const open = list.find((c) => new URL(c.url).origin === self.location.origin);
    return open ? open.focus() : self.clients.openWindow(url);
  }));
});
