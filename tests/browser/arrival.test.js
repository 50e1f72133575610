// Browser test of the desk's arrival on a phone (到场): the browser context
// grants geolocation and sits 40 m north of the whistle; the police desk
// taps 到场, the position (with its accuracy) comes from the Geolocation API,
// it takes a photo of the scene and confirms; the card says how far it is
// from the whistle and lists the photo with its hash. It resolves with an
// after-photo. The environment desk's phone gives no position: its arrival
// is recorded and marked 未定位. The timeline dialog shows both checks and
// both photos. Screenshot: docs/screenshots/desk-arrival-phone.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { stackAndBrowser, request, devToken as stackToken, SHOTS, PHONE, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道
const DISTRICT = '110101'; // 东城区
const WHISTLE = { lat: 39.9146, lng: 116.4036 };
const NORTH_40M = 40 / 111195; // degrees of latitude in 40 m
// A desk's cards skip rendering while off screen (content-visibility: auto), and
// innerText of a skipped element is empty: the tests read cards' textContent.

const env = stackAndBrowser();

const call = (method, url, body, token) => request(env.stack, method, url, { body, token });
const devToken = (body) => stackToken(env.stack, body);

/** A desk's phone page in its own context: with a position when geolocation is given. */
async function deskPhone(token, geolocation) {
  const ctx = await env.browser.newContext({
    viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    ...(geolocation ? { geolocation, permissions: ['geolocation'] } : {}),
  });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${env.stack.url}/#/desk`);
  return page;
}

/** A JPEG "photo" drawn by the page itself (a phone's camera stands in). */
async function photo(page, label) {
  const b64 = await page.evaluate(async (text) => {
    const c = document.createElement('canvas');
    c.width = 640; c.height = 480;
    const g = c.getContext('2d');
    g.fillStyle = '#6b8e23'; g.fillRect(0, 0, 640, 480);
    g.fillStyle = '#fff'; g.font = '48px sans-serif'; g.fillText(text, 40, 250);
    const blob = await new Promise((res) => c.toBlob(res, 'image/jpeg', 0.9));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }, label);
  return { name: `${label}.jpg`, mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

test('the desk arrives with its position and a photo, and resolves with an after-photo', async () => {
  const street = await devToken({ role: 'street', street_id: STREET });
  const w = await call('POST', '/v1/whistles', {
    street_id: STREET, category: 'joint-enforcement', title: '东华门大街夜间违规施工',
    description: '东华门大街路口夜间违规施工，噪声和扬尘扰民，需要城管、公安和生态环境联合执法。',
    location: WHISTLE, urgency: 'HIGH',
  }, street);
  const police = await deskPhone(await devToken({ role: 'desk', district_id: DISTRICT, department: 'police' }),
    { latitude: WHISTLE.lat + NORTH_40M, longitude: WHISTLE.lng, accuracy: 12 });
  const env = await deskPhone(await devToken({ role: 'desk', district_id: DISTRICT, department: 'environment' }), null);

  for (const page of [police, env]) {
    const card = page.locator(`article.dispatch[data-whistle="${w.id}"]`);
    await card.waitFor({ timeout: LIVE });
    await card.getByRole('button', { name: '签收' }).click();
    await page.waitForSelector(`article.dispatch[data-whistle="${w.id}"][data-status="ACKNOWLEDGED"]`, { timeout: LIVE });
  }

  // Police: 到场 asks the phone for its position; the photo is taken meanwhile.
  let card = police.locator(`article.dispatch[data-whistle="${w.id}"]`);
  await card.getByRole('button', { name: '到场', exact: true }).click();
  await card.locator('.where[data-where="located"]').waitFor({ timeout: LIVE });
  assert.match(await card.locator('.where').textContent(), /已定位（精度约 12 米）/);
  await card.getByLabel('现场照片（可选）').setInputFiles(await photo(police, '现场'));
  await card.locator('.photo-preview:not([hidden])').waitFor();
  await card.getByRole('button', { name: '确认到场' }).click();
  await police.waitForSelector(`article.dispatch[data-whistle="${w.id}"][data-status="ARRIVED"] .evidence li`, { timeout: LIVE });
  card = police.locator(`article.dispatch[data-whistle="${w.id}"]`);
  assert.equal(await card.locator('.arrival').getAttribute('data-arrival'), 'near');
  assert.match(await card.locator('.arrival').textContent(), /到场位置距哨点 40 米（定位精度 ±12 米）/);
  assert.match(await card.locator('.evidence').textContent(), /现场照片 · SHA-256 [0-9a-f]{12}…/);
  mkdirSync(SHOTS, { recursive: true });
  await police.screenshot({ path: path.join(SHOTS, 'desk-arrival-phone.png') });

  // The environment desk's phone has no position: arrived all the same, marked.
  const envCard = env.locator(`article.dispatch[data-whistle="${w.id}"]`);
  await envCard.getByRole('button', { name: '到场', exact: true }).click();
  await envCard.locator('.where[data-where="unlocated"]').waitFor({ timeout: LIVE });
  await envCard.getByRole('button', { name: '确认到场' }).click();
  await env.waitForSelector(`article.dispatch[data-whistle="${w.id}"][data-status="ARRIVED"] .arrival[data-arrival="unlocated"]`, { timeout: LIVE });
  assert.match(await env.locator(`article.dispatch[data-whistle="${w.id}"] .arrival`).textContent(), /到场未定位/);

  // Police resolves with an after-photo.
  await card.getByRole('button', { name: '办结' }).click();
  await card.getByLabel('办结说明').fill('已责令停工，现场恢复');
  await card.getByLabel('处置后照片（可选）').setInputFiles(await photo(police, '处置后'));
  await card.getByRole('button', { name: '确认' }).click();
  await card.waitFor({ state: 'detached', timeout: LIVE });

  // The whistle lists both photos; the timeline shows the checks and the hashes.
  let atts = [];
  for (let i = 0; i < 150 && atts.length < 2; i++) {
    atts = (await call('GET', `/v1/whistles/${w.id}`, undefined, street)).attachments || [];
    if (atts.length < 2) await new Promise((res) => setTimeout(res, 200));
  }
  assert.deepEqual(atts.map((a) => a.stage), ['arrival', 'resolution']);
  const tl = await call('GET', `/v1/whistles/${w.id}/timeline`, undefined, street);
  const arrived = tl.entries.filter((e) => e.type === 'dispatch.arrived').map((e) => e.data.dispatch);
  assert.ok(arrived.some((d) => d.department === 'police' && Math.round(d.arrival_distance_m) === 40 && d.arrival_accuracy_m === 12), JSON.stringify(arrived));
  assert.ok(arrived.some((d) => d.department === 'environment' && d.arrival_unlocated), JSON.stringify(arrived));
  for (const a of atts) assert.ok(tl.entries.some((e) => e.type === 'whistle.attachment_added' && e.data.attachment.sha256 === a.sha256), `timeline has ${a.sha256}`);

  for (const p of [police, env]) assert.deepEqual(p.errors, [], 'no script errors');
  await Promise.all([police, env].map((p) => p.context().close()));
});
