// Browser test of the street's inbox (issue 13): two grid workers' reports of
// one spot show as one group; the street handles it locally with the keyboard
// alone, and the inbox empties. Accessibility checked with axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stackAndBrowser, request, axe, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道

const env = stackAndBrowser();

const call = (url, body, token) => request(env.stack, 'POST', url, { body, token, status: 200 });

test('the street triages a group of its inbox with the keyboard', async () => {
  for (const [grid, lat] of [['DHM-01', 39.9146], ['DHM-02', 39.9149]]) {
    const { token } = await call('/v1/dev/tokens', { role: 'grid', street_id: STREET, grid_id: grid });
    await call('/v1/discovery/reports', { category: 'garbage', description: `垃圾桶满溢 ${grid}`, location: { lat, lng: 116.4036 } }, token);
  }
  const { token } = await call('/v1/dev/tokens', { role: 'street', street_id: STREET });
  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${env.stack.url}/#/street`);

  // The street page first (its render must finish: a page still loading when
  // the route changes writes into the next page's root, see the report).
  await page.locator('#f-map path').first().waitFor({ timeout: LIVE });
  // The navigation leads to the inbox.
  await page.getByRole('link', { name: '收件箱' }).click();
  const group = page.locator('form.inbox-group');
  await group.first().waitFor({ timeout: LIVE });
  assert.equal(await group.count(), 1, 'two reports 30 m apart are one group');
  assert.equal(await group.locator('li').count(), 2);
  assert.equal(await page.getByRole('link', { name: '收件箱' }).getAttribute('aria-current'), 'page');

  await axe(page, 'inbox');

  // Keyboard only: the result field is labelled; Tab reaches the button.
  await page.getByLabel(/处置结果/).focus();
  await page.keyboard.type('已联系环卫清运');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByText('收件箱为空。').waitFor({ timeout: LIVE });
  assert.deepEqual(errors, []);
  await ctx.close();
});
