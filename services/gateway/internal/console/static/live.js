// Live updates. The gateway's GET /v1/stream (Server-Sent Events) needs the
// bearer token in a header, which EventSource cannot send, so the stream is
// read with fetch(). While the stream is down the page polls, and the stream
// is tried again with a growing, jittered backoff; a stream that was up and
// broke says so in a banner until it is back (docs/duty-desks.md).
import { token } from './api.js';
import { t } from './i18n.js';
import { statusLine } from './ui.js';

const POLL_MS = 3000;
const SAFETY_REFRESH_MS = 30000;
// Reconnect delays: 1 s, doubling up to 30 s, each ±20 %, back to 1 s once connected.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
// A break shorter than this (a gateway restarting in a deploy) shows no banner.
const LOST_GRACE_MS = 2000;
const READY = 'stream.ready';

/** The stream's state, for tests: connections made, breaks seen and the banner shown. */
export const streamState = { connects: 0, breaks: 0, banner: '' };
window.whistleTest = Object.assign(window.whistleTest || {}, { stream: streamState });

/**
 * Calls onChange (debounced) whenever something may have changed: on every
 * streamed event, on every poll tick, and when the stream (re)starts with
 * events missing (a fresh connection, or a resume past what the server keeps:
 * the ready event's "gap"). onEvent(name, data, id), when given, sees each
 * streamed event with its JSON data first; events replayed after a resume
 * (Last-Event-ID) are seen again, so it must be idempotent. Returns a
 * function that stops it.
 */
export function follow(onChange, { minGap = 1000, onEvent = null } = {}) {
  let stopped = false;
  let timer = null;
  let running = false;
  let again = false;
  let lastRun = 0;
  let pollTimer = null;
  let retryTimer = null;
  let lostTimer = null;
  let backTimer = null;
  let ctrl = null;
  let lastId = '';
  let wasUp = false; // the stream was up once, so a break is news
  let lost = false; // the banner is showing
  let attempt = 0;
  // One refresh at a time, at most one per minGap: a burst of events (or a
  // busy stream) must not turn into a burst of requests and trip the
  // gateway's rate limit.
  const run = async () => {
    if (stopped) return;
    if (running) { again = true; return; }
    running = true;
    lastRun = Date.now();
    try { await onChange(); } finally { running = false; }
    if (again) { again = false; fire(); }
  };
  const fire = () => {
    if (timer) return; // already due: events keep coming, the refresh still happens
    timer = setTimeout(() => { timer = null; run(); }, Math.max(250, lastRun + minGap - Date.now()));
  };
  const show = (mode) => {
    const el = document.getElementById('live');
    if (!el) return;
    el.dataset.mode = mode;
    el.textContent = `● ${t(`live.${mode}`)}`;
  };
  const poll = (every) => {
    clearInterval(pollTimer);
    pollTimer = setInterval(fire, every);
  };
  const connect = async () => {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    let connected = false;
    ctrl = new AbortController();
    try {
      const headers = { Accept: 'text/event-stream' };
      if (token()) headers.Authorization = `Bearer ${token()}`; // else the session cookie goes along
      if (lastId) headers['Last-Event-ID'] = lastId;
      const resp = await fetch('/v1/stream', { headers, signal: ctrl.signal, cache: 'no-store' });
      const type = resp.headers.get('Content-Type') || '';
      if (!resp.ok || !type.startsWith('text/event-stream') || !resp.body) {
        throw new Error(`stream: HTTP ${resp.status}`);
      }
      connected = true;
      wasUp = true;
      attempt = 0;
      streamState.connects++;
      show('stream');
      banner(false);
      poll(SAFETY_REFRESH_MS);
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const ev = parse(buf.slice(0, cut));
          buf = buf.slice(cut + 2);
          if (!ev) continue;
          const resumed = !!lastId;
          if (ev.id) lastId = ev.id;
          if (ev.name === READY) {
            // Catch up on whatever the events cannot replay: the time before
            // the first connection, or more than the server keeps.
            if (!resumed || ev.data?.gap) fire();
            continue;
          }
          try { onEvent?.(ev.name, ev.data, ev.id); } catch (err) { console.warn('live event', err); }
          fire();
        }
      }
      throw new Error('stream: ended');
    } catch {
      if (stopped) return;
      if (connected) streamState.breaks++;
      show('poll');
      poll(POLL_MS);
      if (wasUp && !lost && !lostTimer) {
        // A break that a quick reconnect mends is not worth a banner; one that lasts is.
        lostTimer = setTimeout(() => { lostTimer = null; banner(true); }, connected ? LOST_GRACE_MS : 0);
      }
      const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt++);
      retryTimer = setTimeout(connect, base * (0.8 + Math.random() * 0.4));
    }
  };
  // The banner: "lost" while a stream that was up stays down, "back" for a
  // few seconds once it is up again.
  const banner = (down) => {
    clearTimeout(lostTimer);
    lostTimer = null;
    if (down === lost && down) return;
    const el = bannerEl();
    clearTimeout(backTimer);
    if (down) {
      lost = true;
      setBanner(el, 'lost');
    } else if (lost) {
      lost = false;
      setBanner(el, 'back');
      backTimer = setTimeout(() => setBanner(el, ''), 4000);
    }
  };
  // Back online, or back in front of the person: try now instead of at the end of the backoff.
  const soon = () => {
    if (!stopped && retryTimer && document.visibilityState === 'visible') connect();
  };
  window.addEventListener('online', soon);
  document.addEventListener('visibilitychange', soon);
  show('poll');
  poll(POLL_MS);
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(retryTimer);
    clearTimeout(lostTimer);
    clearTimeout(backTimer);
    clearInterval(pollTimer);
    window.removeEventListener('online', soon);
    document.removeEventListener('visibilitychange', soon);
    ctrl?.abort();
    if (lost) setBanner(bannerEl(), '');
  };
}

/** One SSE block as {id, name, data} (data parsed as JSON when it is), or null for a comment. */
function parse(block) {
  let id = '', name = 'message', data = null;
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue; // a comment: the keepalive
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') name = value;
    else if (field === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  if (data === null) return id ? { id, name, data: null } : null;
  try { data = JSON.parse(data); } catch { /* not JSON: keep the text */ }
  return { id, name, data };
}

const bannerEl = () => statusLine('conn', 'assertive');

function setBanner(el, state) {
  streamState.banner = state;
  el.dataset.state = state;
  el.textContent = state ? t(`live.${state}`) : '';
  el.hidden = !state;
}
