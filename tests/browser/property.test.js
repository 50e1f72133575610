// Browser test of the admin's property companies (物业): the form saves a
// company with the communities it serves and the list shows it; the form's
// fields are labelled (axe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stackAndBrowser, devToken, axe, LIVE } from './stack.js';

const env = stackAndBrowser();

test('an admin saves a property company with its communities', async () => {
  const token = await devToken(env.stack, { role: 'admin' });
  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${env.stack.url}/#/admin`);
  const form = page.locator('#pm-form');
  await form.waitFor({ timeout: LIVE });
  await form.getByLabel('代码', { exact: true }).fill('pm-dongcheng-browser');
  await form.getByLabel('中文名称').fill('东城浏览器物业');
  await form.getByLabel('英文名称').fill('Dongcheng Browser Property');
  await form.getByLabel(/服务的社区/).fill('110101001001, 110101001002');
  await form.getByRole('button', { name: '保存物业公司' }).click();
  const row = page.locator('#pm-list tr[data-company="pm-dongcheng-browser"]');
  await row.waitFor({ timeout: LIVE });
  assert.match(await row.textContent(), /东城浏览器物业.*110101001001、110101001002/);

  await axe(page, 'property form', '#pm-form');
  assert.deepEqual(errors, []);
  await ctx.close();
});
