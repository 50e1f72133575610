// Browser test of the joint board (联合执法, issue 24): the lead (城管) and a
// cooperating department (公安) have the board of one joint-enforcement
// whistle open at once, in two browser contexts. What one does (a note,
// arriving on site) the other sees live; the lead completes the joint action
// once all have arrived, and 公安 sees that too. Screenshots of both go to
// docs/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { stackAndBrowser, request, devToken as stackToken, SHOTS, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道
const DISTRICT = '110101'; // 东城区

const env = stackAndBrowser();

const call = (method, url, body, token) => request(env.stack, method, url, { body, token });
const devToken = (body) => stackToken(env.stack, body);

/** A desk's page in its own browser context, with its token stored. */
async function deskPage(token) {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${env.stack.url}/#/desk`);
  return page;
}

/** Opens the board from the card of whistle id. */
async function openBoard(page, id) {
  const card = page.locator(`article[data-whistle="${id}"]`);
  await card.waitFor({ timeout: LIVE });
  await card.getByRole('button', { name: '联合执法看板' }).click();
  const board = page.locator(`dialog .board[data-whistle="${id}"]`);
  await board.locator('.board-dept').first().waitFor({ timeout: LIVE });
  return board;
}

test('two departments share the joint board live', async () => {
  const street = await devToken({ role: 'street', street_id: STREET });
  const w = await call('POST', '/v1/whistles', {
    street_id: STREET, category: 'joint-enforcement', title: '东华门大街夜间违规施工',
    description: '东华门大街路口夜间违规施工，噪声和扬尘扰民，需要城管、公安和生态环境联合执法。',
    location: { lat: 39.9146, lng: 116.4036 }, urgency: 'HIGH',
  }, street);
  const tokens = {};
  for (const dept of ['urban-management', 'police', 'environment']) {
    tokens[dept] = await devToken({ role: 'desk', district_id: DISTRICT, department: dept });
  }
  // The dispatches, once response has made them.
  let dispatches = [];
  let last = '';
  for (let i = 0; i < 150 && dispatches.length < 3; i++) {
    const r = await fetch(`${env.stack.url}/v1/whistles/${w.id}/board`, { headers: { Authorization: `Bearer ${tokens.police}` } });
    last = `${r.status} ${await r.clone().text()}`;
    if (r.ok) dispatches = (await r.json()).dispatches || [];
    if (dispatches.length < 3) await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(dispatches.length, 3, `the board of ${w.id}: ${last}`);
  const idOf = (dept) => dispatches.find((d) => d.department === dept).id;

  const lead = await deskPage(tokens['urban-management']);
  const police = await deskPage(tokens.police);
  const leadBoard = await openBoard(lead, w.id);
  const policeBoard = await openBoard(police, w.id);
  for (const b of [leadBoard, policeBoard]) {
    assert.equal(await b.locator('.board-dept').count(), 3, 'every department on the board');
    assert.equal(await b.locator('.board-dept').first().getAttribute('data-department'), 'urban-management', 'the lead first');
  }
  assert.equal(await policeBoard.getByRole('button', { name: '联合行动完成' }).count(), 0, 'only the lead completes');

  // 公安 leaves a note in its browser; 城管 sees it without reloading.
  await policeBoard.getByLabel('留言').fill('公安已出警，预计十分钟到场');
  await policeBoard.getByRole('button', { name: '发送' }).click();
  await leadBoard.locator('.board-note', { hasText: '公安已出警，预计十分钟到场' }).waitFor({ timeout: LIVE });

  // 公安 arrives on site (its own queue's action, through the API); 城管's board shows it live.
  await call('POST', `/v1/dispatches/${idOf('police')}:acknowledge`, {}, tokens.police);
  await call('POST', `/v1/dispatches/${idOf('police')}:arrive`, { location: { lat: 39.9146, lng: 116.4036 } }, tokens.police);
  await leadBoard.locator('.board-dept[data-department="police"][data-status="ARRIVED"]').waitFor({ timeout: LIVE });
  const complete = leadBoard.getByRole('button', { name: '联合行动完成' });
  assert.equal(await complete.isDisabled(), true, 'not before every department has arrived');
  mkdirSync(SHOTS, { recursive: true });
  await lead.screenshot({ path: path.join(SHOTS, 'joint-board-lead.png') });
  await police.screenshot({ path: path.join(SHOTS, 'joint-board-police.png') });

  // The others arrive; the lead completes; 公安 sees it live.
  for (const dept of ['urban-management', 'environment']) {
    await call('POST', `/v1/dispatches/${idOf(dept)}:acknowledge`, {}, tokens[dept]);
    await call('POST', `/v1/dispatches/${idOf(dept)}:arrive`, { location: { lat: 39.9146, lng: 116.4036 } }, tokens[dept]);
  }
  await leadBoard.locator('button[data-complete]:not([disabled])').waitFor({ timeout: LIVE });
  await complete.click();
  await policeBoard.getByText(/联合行动已完成/).waitFor({ timeout: LIVE });
  await police.screenshot({ path: path.join(SHOTS, 'joint-board-completed.png') });

  assert.deepEqual(lead.errors, []);
  assert.deepEqual(police.errors, []);
  await Promise.all([lead.context().close(), police.context().close()]);
});
