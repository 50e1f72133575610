// Browser test of the admin's property companies (物业): the form saves a
// company with the communities it serves and the list shows it; the form's
// fields are labelled (axe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startStack } from './stack.js';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LIVE = 30000;

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('an admin saves a property company with its communities', async () => {
  const r = await fetch(`${stack.url}/v1/dev/tokens`, { method: 'POST', body: JSON.stringify({ role: 'admin' }) });
  const { token } = await r.json();
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${stack.url}/#/admin`);
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

  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => window.axe.run(document.querySelector('#pm-form'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  assert.deepEqual(result.violations.map((v) => v.id), [], 'property form: accessibility violations');
  assert.deepEqual(errors, []);
  await ctx.close();
});
