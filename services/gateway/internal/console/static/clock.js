// The services' clock. Drills run the services on a scaled, shifted clock
// (WHISTLE_TIME_SCALE / WHISTLE_TIME_ORIGIN), so countdowns are computed from
// the gateway's GET /v1/time, not from the browser's clock: the answer is
// anchored to the browser's monotonic clock (half the round trip in) and
// advanced at the server's scale. Until it arrives, the browser's clock stands in.

let anchor = null; // { server: ms since epoch, perf: performance.now(), scale }
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
    if (Number.isFinite(server)) anchor = { server, perf: (sent + got) / 2, scale: s > 0 ? s : 1 };
  } catch { /* an older gateway or no network: keep the browser's clock */ }
}

/** Sets the clock from the gateway once; resolves when it is set (or stays on the browser's). */
export function sync() {
  if (!syncing) syncing = fetchTime();
  return syncing;
}

setInterval(() => { syncing = fetchTime(); }, RESYNC_MS);
