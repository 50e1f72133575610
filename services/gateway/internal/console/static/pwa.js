// Installing the console on a phone (docs/duty-desks.md): registers the
// service worker (sw.js) for the whole origin, shows when the queue on screen
// is the kept copy because the network is gone, and drops the kept data at
// sign-out so that the next person on the device never reads it.
import { t } from './i18n.js';
import { statusLine } from './ui.js';

const DATA = 'whistle-data-v1'; // sw.js's cache of API answers
const ALERTED = 'whistle.alerted'; // alerts.js's alerts already given

/** Drops everything kept of the signed-in person: the API answers and the alerts given. */
export async function forgetData() {
  try { sessionStorage.removeItem(ALERTED); } catch { /* private mode */ }
  navigator.serviceWorker?.controller?.postMessage({ type: 'signout' });
  await globalThis.caches?.delete(DATA).catch(() => {});
}

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/console/sw.js', { scope: '/' }).catch((err) => console.warn('service worker', err));
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data?.type !== 'whistle-data') return;
    const el = statusLine('offline');
    el.textContent = t('alert.offline');
    el.hidden = !ev.data.offline;
  });
}
// Sign-out (the button, or the services refusing the token): capture, so it runs before the page moves on.
document.getElementById('signout')?.addEventListener('click', () => { forgetData(); }, true);
window.addEventListener('whistle:unauthorized', () => { forgetData(); });
