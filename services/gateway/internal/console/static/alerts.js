// Calling a duty desk (docs/duty-desks.md): each alert plays a short chime
// (Web Audio, no sound file), shows a browser notification (or, where
// notifications are off, a banner on the page) and counts in the tab's
// title, "(3) 值班台 · Whistle", until the desk looks at the page again.
// Browsers let a page make sound and ask for notifications only after a tap,
// so the page offers one button, 开启提醒, that does both.
import { t } from './i18n.js';
import { esc } from './ui.js';

const ICON = '/console/icons/icon-192.png';
// Alerts already given, by key, kept for the tab's session so that a reload
// or a replayed event does not ring again.
const SEEN_KEY = 'whistle.alerted';
const SEEN_MAX = 500;

/** What the alerts did, for tests: chimes played (and blocked), notifications shown, banners shown. */
export const alertState = { played: 0, blocked: 0, notified: 0, banners: 0, badge: 0 };
window.whistleTest = Object.assign(window.whistleTest || {}, { alerts: alertState });

let audio = null;
function audioContext() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!audio && AC) audio = new AC();
  return audio;
}

/** Whether the page may make sound now (a tap unlocked it, or the browser allows it anyway). */
function audioReady() { return audioContext()?.state === 'running'; }

/** Resumes the audio; only a user's tap can do that, so it gives up quickly otherwise. */
function unlockAudio() {
  const ac = audioContext();
  if (!ac || ac.state === 'running') return Promise.resolve();
  return Promise.race([ac.resume().catch(() => {}), new Promise((r) => setTimeout(r, 300))]);
}

/** Plays two short rising tones (about 0.35 s). Resolves to whether it sounded. */
export async function chime() {
  await unlockAudio();
  const ac = audioContext();
  if (!ac || ac.state !== 'running') { alertState.blocked++; return false; }
  const t0 = ac.currentTime + 0.01;
  for (const [i, freq] of [[0, 880], [1, 1320]]) {
    const at = t0 + i * 0.18;
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
    osc.connect(gain).connect(ac.destination);
    osc.start(at);
    osc.stop(at + 0.17);
  }
  alertState.played++;
  return true;
}

const permission = () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);

/** Shows a system notification; phones allow them only through the service worker. */
async function notify(title, { body, tag, onClick }) {
  const opts = { body, tag, icon: ICON, badge: ICON, lang: 'zh-CN', renotify: true, data: { url: '/#/desk' } };
  try {
    const n = new Notification(title, opts);
    n.onclick = () => { window.focus(); onClick?.(); n.close(); };
  } catch (err) {
    // Android's Chrome: "Illegal constructor. Use ServiceWorkerRegistration.showNotification()".
    const reg = await navigator.serviceWorker?.getRegistration?.();
    if (!reg) throw err;
    await reg.showNotification(title, opts);
  }
  alertState.notified++;
}

function seenSet() {
  try { return new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || '[]')); } catch { return new Set(); }
}

/**
 * Sets up the desk's alerts in bar (the 开启提醒 button and the fallback
 * banners). Returns {call, stop}: call({key, title, body, dispatch}) alerts
 * once per key; onOpen(dispatchId) runs when a notification or banner is
 * opened.
 */
export function deskAlerts(bar, { baseTitle, onOpen }) {
  const seen = seenSet();
  let unseen = 0;
  const badged = () => (unseen ? `(${unseen}) ${baseTitle}` : baseTitle);
  // The shell may set the title again (a language switch, the names loading):
  // keep the badge on whatever it sets.
  const titleEl = document.querySelector('title');
  const keepTitle = new MutationObserver(() => { if (document.title !== badged()) document.title = badged(); });
  const setTitle = () => {
    alertState.badge = unseen;
    document.title = badged();
  };
  setTitle();
  if (titleEl) keepTitle.observe(titleEl, { childList: true, characterData: true, subtree: true });

  // The desk looked: a tap or key on the page, or the tab coming to the front.
  const looked = () => {
    if (!unseen) return;
    unseen = 0;
    setTitle();
  };
  const onVisible = () => { if (document.visibilityState === 'visible') looked(); };
  const onTap = () => { looked(); unlockAudio(); };
  window.addEventListener('focus', looked);
  document.addEventListener('visibilitychange', onVisible);
  document.addEventListener('pointerdown', onTap, true);
  document.addEventListener('keydown', onTap, true);

  bar.innerHTML = `<div class="alert-setup" hidden><button type="button" class="primary" data-alerts-on>${esc(t('alert.enable'))}</button>`
    + `<span class="hint">${esc(t('alert.enableHint'))}</span></div>`
    + `<p class="alert-denied hint" hidden>${esc(t('alert.denied'))}</p><div class="alert-banners"></div>`;
  const setup = bar.querySelector('.alert-setup');
  const denied = bar.querySelector('.alert-denied');
  const banners = bar.querySelector('.alert-banners');
  const paintSetup = () => {
    const p = permission();
    setup.hidden = !(p === 'default' || !audioReady());
    denied.hidden = !(p === 'denied' || p === 'unsupported');
  };
  paintSetup();
  setup.querySelector('[data-alerts-on]').addEventListener('click', async () => {
    await unlockAudio();
    if (permission() === 'default') await Notification.requestPermission().catch(() => {});
    paintSetup();
  });
  banners.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-banner]');
    if (!b) return;
    if (ev.target.closest('[data-open]')) onOpen?.(b.dataset.banner);
    b.remove();
  });

  const banner = (a) => {
    alertState.banners++;
    banners.insertAdjacentHTML('afterbegin', `<div class="alert-banner" role="alert" data-banner="${esc(a.dispatch || '')}">`
      + `<button type="button" class="link" data-open><strong>${esc(a.title)}</strong> ${esc(a.body || '')}</button>`
      + `<button type="button" class="ghost">${esc(t('alert.dismiss'))}</button></div>`);
    for (const old of [...banners.children].slice(5)) old.remove();
  };

  const call = (a) => {
    if (seen.has(a.key)) return;
    seen.add(a.key);
    try { sessionStorage.setItem(SEEN_KEY, JSON.stringify([...seen].slice(-SEEN_MAX))); } catch { /* full or private */ }
    unseen++;
    setTitle();
    chime();
    if (permission() === 'granted') {
      notify(a.title, { body: a.body, tag: a.key, onClick: () => onOpen?.(a.dispatch) }).catch(() => banner(a));
    } else {
      banner(a);
    }
  };
  const stop = () => {
    keepTitle.disconnect();
    window.removeEventListener('focus', looked);
    document.removeEventListener('visibilitychange', onVisible);
    document.removeEventListener('pointerdown', onTap, true);
    document.removeEventListener('keydown', onTap, true);
  };
  return { call, stop };
}
