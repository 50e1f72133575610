// Browser tests of the community parties. The admin's property companies
// (物业): the form saves a company with the communities it serves and the
// list shows it; the form's fields are labelled (axe). The committees
// (社区居委会, desks cc-<community code>): the desk pickers (sign-in, the
// admin's grants and channels) offer the chosen district's committees by
// name, a committee's desk signs in from the picker and the header names it,
// and the admin's channels list names a committee's desk (its code beside).
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

test('the desk pickers offer the chosen district\'s community committees by name', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const committee = (select, name) => page.locator(`${select} optgroup[label="社区居委会"] option`, { hasText: name });

  // Sign-in: 东城区's committees follow its departments; 西城区's replace them.
  await page.goto(`${env.stack.url}/#/signin`);
  const district = page.locator('#si-desk-district');
  await district.waitFor({ timeout: LIVE });
  await district.selectOption('110101');
  await committee('#si-desk-dept', '银闸社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  assert.equal(await committee('#si-desk-dept', '银闸社区居委会').getAttribute('value'), 'cc-110101001002');
  assert.equal(await page.locator('#si-desk-dept option[value="police"]').textContent(), '公安 (police)', 'the departments stay first');
  await district.selectOption('110102');
  await committee('#si-desk-dept', '府右街南社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  assert.equal(await committee('#si-desk-dept', '银闸社区居委会').count(), 0, 'another district\'s committees are gone');
  await district.selectOption('110101');
  await committee('#si-desk-dept', '银闸社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  await page.locator('#si-desk-dept').selectOption('cc-110101001002');
  await page.locator('form[data-role="desk"]').getByRole('button').click();
  await page.waitForURL(/#\/desk$/, { timeout: LIVE });
  // The header names the committee, not its code.
  const who = page.locator('#who');
  await who.filter({ hasText: '部门值班台 · 东城区 · 银闸社区居委会' }).waitFor({ timeout: LIVE });
  assert.doesNotMatch(await who.textContent(), /cc-|110101001002/);
  const claims = await page.evaluate(() => JSON.parse(atob(localStorage.getItem('whistle.token').split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))));
  assert.equal(claims.department, 'cc-110101001002');
  assert.equal(claims.district, '110101');

  // The admin's grants and channels.
  const admin = await devToken(env.stack, { role: 'admin' });
  await page.evaluate((tok) => localStorage.setItem('whistle.token', tok), admin);
  await page.goto(`${env.stack.url}/#/admin`);
  await page.reload();
  const grants = page.locator('#gr-district');
  await grants.waitFor({ timeout: LIVE });
  assert.equal(await page.locator('#gr-dept optgroup').count(), 0, 'no district, no committees');
  await grants.selectOption('110101');
  await committee('#gr-dept', '银闸社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  await page.locator('#ch-district').selectOption('110102');
  await committee('#ch-dept', '府右街南社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  assert.equal(await committee('#ch-dept', '府右街南社区居委会').getAttribute('value'), 'cc-110102001004');

  // A channel of a committee's desk: the list names the committee, with its code as a hint.
  await page.locator('#ch-district').selectOption('110101');
  await committee('#ch-dept', '银闸社区居委会').waitFor({ state: 'attached', timeout: LIVE });
  await page.locator('#ch-dept').selectOption('cc-110101001002');
  await page.locator('#ch-kind').selectOption('email');
  await page.locator('#channel-form').getByRole('button', { name: '添加渠道' }).click();
  const row = page.locator('#channel-rows tr', { hasText: '银闸社区居委会' });
  await row.waitFor({ timeout: LIVE });
  const desk = row.locator('td').first();
  assert.match(await desk.textContent(), /^东城区 · 银闸社区居委会 cc-110101001002$/);
  assert.equal(await desk.locator('code').textContent(), 'cc-110101001002', 'the code is the hint beside the name');
  // After a reload too (the committees fetched anew).
  await page.reload();
  await page.locator('#channel-rows tr', { hasText: '银闸社区居委会' }).waitFor({ timeout: LIVE });
  assert.equal(await page.locator('#channel-rows', { hasText: '社区居委会 110101001002' }).count(), 0);
  await axe(page, 'grants and channels', '#grants');
  assert.deepEqual(errors, []);
  await ctx.close();
});
