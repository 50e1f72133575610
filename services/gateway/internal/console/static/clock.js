// The services' clock. Drills run the services on a scaled, shifted clock
// (WHISTLE_TIME_SCALE / WHISTLE_TIME_ORIGIN), so countdowns are computed from
// the gateway's GET /v1/time, not from the browser's clock: the answer is
// anchored to the browser's monotonic clock (half the round trip in) and
// advanced at the server's scale. Until it arrives (or when the network is
// gone and the page runs from the service worker's copy), the offset of the
// last answer stands in, else the browser's clock.

const SAVED = 'whistle.clock'; // the last answer's offset from the browser's clock, and scale
let anchor = saved(); // { server: ms since epoch, perf: performance.now(), scale }
let syncing = null;
const RESYNC_MS = 5 * 60000; // a scaled clock is steady; this only corrects drift

/** The services' time now, in milliseconds since the epoch. */
export function now() {
  if (!anchor) return Date.now();
  return anchor.server + (performance.now() - anchor.perf) * anchor.scale;
}

/** How many service milliseconds pass per real millisecond (1 outside drills). */
export function scale() { return anchor?.scale ?? 1; }

async function fetchTime() {
  try {
    const sent = performance.now();
    const resp = await fetch('/v1/time', { cache: 'no-store' });
    const got = performance.now();
    if (!resp.ok) return;
    const { now: at, scale: s } = await resp.json();
    const server = Date.parse(at);
    if (!Number.isFinite(server)) return;
    anchor = { server, perf: (sent + got) / 2, scale: s > 0 ? s : 1 };
    try { localStorage.setItem(SAVED, JSON.stringify({ offset: now() - Date.now(), scale: anchor.scale })); } catch { /* private mode */ }
  } catch { /* an older gateway or no network: keep the browser's clock */ }
}

function saved() {
  try {
    const { offset, scale: s } = JSON.parse(localStorage.getItem(SAVED) || 'null') || {};
    if (Number.isFinite(offset) && s > 0) return { server: Date.now() + offset, perf: performance.now(), scale: s };
  } catch { /* none kept */ }
  return null;
}

/** Sets the clock from the gateway once; resolves when it is set (or stays on the browser's). */
export function sync() {
  if (!syncing) syncing = fetchTime();
  return syncing;
}

setInterval(() => { syncing = fetchTime(); }, RESYNC_MS);
