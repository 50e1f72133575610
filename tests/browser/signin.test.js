// Browser test of single sign-on (issue 21): a desk person signs in through
// the dev identity provider's login page (started by the `make run`
// launcher), lands on the desk page, and signs out; the session is over
// at the gateway and the page is back at sign-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startStack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

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

test('a desk person signs in at the provider, lands on the desk page and signs out', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(`${stack.url}/`);
  await page.getByRole('link', { name: '统一身份认证登录' }).click();
  // The provider's own login page, filled in as a person would.
  await page.getByLabel('用户名 / Username').fill('police-desk');
  await page.getByLabel('密码 / Password').fill('whistle');
  await page.getByRole('button', { name: '登录 / Sign in', exact: true }).click();

  await page.waitForURL(`${stack.url}/#/desk`);
  await page.locator('#who').filter({ hasText: '值班台' }).waitFor();
  assert.match(await page.locator('#who').textContent(), /公安|police/);
  const cookies = await ctx.cookies(stack.url);
  const session = cookies.find((c) => c.name === 'whistle_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => localStorage.getItem('whistle.token')), null, 'no token in the page');
  const queue = await page.evaluate(async () => (await fetch('/v1/dispatches')).status);
  assert.equal(queue, 200, 'the desk queue answers with the session cookie');

  await page.getByRole('button', { name: '退出' }).click();
  // The provider ends its session too and sends the browser back to the console.
  await page.waitForURL(`${stack.url}/#/signin`);
  await page.getByRole('link', { name: '统一身份认证登录' }).waitFor();
  const after = await page.evaluate(async () => (await fetch('/v1/dispatches')).status);
  assert.equal(after, 401, 'signed out: the API refuses the browser');
  const again = await fetch(`${stack.url}/v1/dispatches`, { headers: { Cookie: `whistle_session=${session.value}` } });
  assert.equal(again.status, 401, 'the old session id is dead');
  assert.deepEqual(errors, []);
  await ctx.close();
});

/** Signs a fresh browser context in as a demo person at the provider; returns its page. */
async function signInAs(username) {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  await page.goto(`${stack.url}/`);
  await page.getByRole('link', { name: '统一身份认证登录' }).click();
  await page.getByRole('button', { name: new RegExp(`\\(${username}\\)`) }).click(); // the provider's one-click demo person
  return page;
}

test('an admin grants a role in the console and revokes it; the person is refused at once', async () => {
  const admin = await signInAs('admin');
  await admin.waitForURL(`${stack.url}/#/admin`);
  const card = admin.locator('#grants');
  await card.getByRole('heading', { name: '人员授权' }).waitFor();
  await card.getByLabel('身份标识（sub）').fill('u-newcomer');
  await card.getByLabel('姓名').fill('新同事');
  await card.getByLabel('角色').selectOption('desk');
  await card.getByLabel('区').selectOption('110101');
  await card.getByLabel('部门').selectOption('police');
  await card.getByRole('button', { name: '授予角色' }).click();
  await card.locator('tr[data-subject="u-newcomer"]').waitFor();

  const newcomer = await signInAs('newcomer');
  await newcomer.waitForURL(`${stack.url}/#/desk`);
  assert.equal(await newcomer.evaluate(async () => (await fetch('/v1/dispatches')).status), 200);

  await card.getByRole('button', { name: '撤销 新同事' }).click();
  await card.locator('tr[data-subject="u-newcomer"] .badge', { hasText: '已撤销' }).waitFor();
  // The revocation has been written (the admin's page shows it): the newcomer's next request is refused.
  assert.equal(await newcomer.evaluate(async () => (await fetch('/v1/dispatches')).status), 401);
  await admin.context().close();
  await newcomer.context().close();
});
