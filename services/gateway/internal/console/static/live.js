// Live updates. The gateway's GET /v1/stream (Server-Sent Events) needs the
// bearer token in a header, which EventSource cannot send, so the stream is
// read with fetch(). Until the gateway offers the stream (404) or while it is
// down, the page polls instead and tries the stream again now and then.
import { token } from './api.js';
import { t } from './i18n.js';

const POLL_MS = 3000;
const STREAM_RETRY_MS = 15000;
const SAFETY_REFRESH_MS = 30000;

/**
 * Calls onChange (debounced) whenever something may have changed: on every
 * streamed event, or on every poll tick. Returns a function that stops it.
 */
export function follow(onChange, { minGap = 1000 } = {}) {
  let stopped = false;
  let timer = null;
  let running = false;
  let again = false;
  let lastRun = 0;
  let pollTimer = null;
  let retryTimer = null;
  let ctrl = null;
  let lastId = '';
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
      show('stream');
      poll(SAFETY_REFRESH_MS);
      fire(); // catch up on whatever happened while not connected
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) lastId = line.slice(3).trim();
            if (line.startsWith('data:')) isEvent = true;
          }
          if (isEvent) fire();
        }
      }
      // The server ended a healthy stream (a deploy, a timeout): resume at once.
      retryTimer = setTimeout(connect, 1000);
    } catch {
      if (stopped) return;
      show('poll');
      poll(POLL_MS);
      // A stream that broke is tried again at once; one that never came up, now and then.
      retryTimer = setTimeout(connect, connected ? 1000 : STREAM_RETRY_MS);
    }
  };
  show('poll');
  poll(POLL_MS);
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(retryTimer);
    clearInterval(pollTimer);
    ctrl?.abort();
  };
}
