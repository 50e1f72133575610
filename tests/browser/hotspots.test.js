// Browser test of 未诉先办 (hotspots over whistles, reports and 12345 tickets):
// a district supervisor filters by period and category, reads the table by
// street and category names (no codes), and picks a row to draw its monthly
// trend; a street sees its own street only. Accessibility checked with axe;
// the screenshot goes to docs/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { stackAndBrowser, request, devToken, axe, SHOTS, LIVE } from './stack.js';

const DONGHUAMEN = '110101001'; // 东华门街道
const JINGSHAN = '110101002'; // 景山街道
const HERE = { lat: 39.9146, lng: 116.4036 };

const env = stackAndBrowser();

const call = (url, opts = {}) => request(env.stack, opts.body ? 'POST' : 'GET', url, opts);
const tokenOf = (body) => devToken(env.stack, body);

// The i-th ticket of the month offset months before the services' current
// month: on its 15th in the morning (Beijing time), or minutes ago this month.
function received(now, offset, i) {
  if (offset === 0) return new Date(Date.parse(now) - (i + 1) * 60e3).toISOString();
  const d = new Date(Date.parse(now) + 8 * 3600e3);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - offset, 15, i)).toISOString();
}

test('a district supervisor reads the hotspots by name and a row\'s trend; a street sees its own street', async () => {
  const { now } = await (await fetch(`${env.stack.url}/v1/time`)).json();
  const supervisor = await tokenOf({ role: 'supervisor', district_id: '110101' });
  // 东华门 garbage: 12345 tickets rising over four months (1, 2, 3 and 4 this
  // month), two grid reports and a whistle this month; 景山 noise: two tickets.
  let n = 0;
  const ticket = (street, category, receivedAt) => call('/v1/tickets', {
    token: supervisor,
    body: { external_number: `BJ12345-HS-${++n}`, street_id: street, category, description: `12345 来电 ${n}`, location: HERE, received_at: receivedAt,
      due_at: new Date(Date.parse(receivedAt) + 15 * 864e5).toISOString() },
  });
  for (const [offset, count] of [[3, 1], [2, 2], [1, 3], [0, 4]]) {
    for (let i = 0; i < count; i++) await ticket(DONGHUAMEN, 'garbage', received(now, offset, i));
  }
  await ticket(JINGSHAN, 'noise', received(now, 1, 5));
  await ticket(JINGSHAN, 'noise', received(now, 0, 5));
  const grid = await tokenOf({ role: 'grid', street_id: DONGHUAMEN, grid_id: 'DHM-01' });
  for (const i of [1, 2]) {
    await call('/v1/discovery/reports', { token: grid, body: { category: 'garbage', description: `垃圾堆放 ${i}`, location: { lat: HERE.lat + i * 0.001, lng: HERE.lng } } });
  }
  const street = await tokenOf({ role: 'street', street_id: DONGHUAMEN });
  await call('/v1/whistles', {
    token: street, headers: { 'Idempotency-Key': 'hotspots-browser-1' },
    body: { street_id: DONGHUAMEN, category: 'garbage', description: '背街小巷垃圾堆放，反复出现', location: HERE },
  });
  // Wait until feedback has every event.
  const deadline = Date.now() + LIVE;
  for (;;) {
    const a = await call('/v1/reports/hotspots:analyze?district=110101', { token: supervisor });
    const top = a.pairs?.[0];
    if (top && Number(top.total) === 13 && Number(top.whistles) === 1) break;
    assert.ok(Date.now() < deadline, `hotspots never counted everything: ${JSON.stringify(a.pairs)}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), supervisor);
  await page.goto(`${env.stack.url}/#/supervisor`);
  await page.getByRole('link', { name: '未诉先办' }).click();
  const rows = page.locator('#hs-table tbody tr');
  await rows.first().waitFor({ timeout: LIVE });
  assert.equal(await rows.count(), 2);
  const first = rows.first();
  assert.equal(await first.locator('th').textContent(), '东华门街道');
  assert.match(await first.textContent(), /垃圾堆放/);
  assert.doesNotMatch(await page.locator('#hs-table').textContent(), /110101|garbage|noise/, 'names, not codes');
  // Whistles 1, reports 2, tickets 10, appeals 13 (the whistle came from no
  // report); this month 4 + 2 + 1 = 7, four more than last month's 3.
  const cells = await first.locator('td').allTextContents();
  assert.deepEqual(cells.slice(2, 7).map((s) => s.trim()), ['1', '2', '10', '13', '7']);
  assert.match(cells[7], /\+4/);
  assert.equal(await page.locator('[data-kpi="total"] .kpi-n').textContent(), '15');

  // The row's trend: four points rising 1, 2, 3, 7 (the period is six months).
  await first.getByRole('button', { name: /看趋势/ }).click();
  await page.locator('#hs-trend-h', { hasText: '东华门街道 · 垃圾堆放' }).waitFor({ timeout: LIVE });
  const label = await page.locator('#hs-chart svg').getAttribute('aria-label');
  assert.match(label, /诉求合计 1; .*诉求合计 2; .*诉求合计 3; .*诉求合计 7$/);
  await axe(page, 'hotspots');
  await page.screenshot({ path: path.join(SHOTS, 'hotspots-supervisor.png'), fullPage: true });

  // A category filter narrows the table to 景山's noise.
  await page.getByLabel('类别').selectOption({ label: '噪音扰民' });
  await page.getByRole('button', { name: '查询' }).click();
  // (景山 is the table's second row before the answer: wait for the new table.)
  await page.waitForFunction(() => document.querySelectorAll('#hs-table tbody tr').length === 1, null, { timeout: LIVE });
  assert.equal(await rows.first().locator('th').textContent(), '景山街道');
  assert.deepEqual(errors, []);
  await ctx.close();

  // 景山街道 sees its own street only.
  const jingshan = await tokenOf({ role: 'street', street_id: JINGSHAN });
  const sctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const spage = await sctx.newPage();
  await spage.addInitScript((tok) => localStorage.setItem('whistle.token', tok), jingshan);
  await spage.goto(`${env.stack.url}/#/street/hotspots`);
  const srows = spage.locator('#hs-table tbody tr');
  await srows.first().waitFor({ timeout: LIVE });
  assert.equal(await srows.count(), 1);
  assert.equal(await srows.first().locator('th').textContent(), '景山街道');
  assert.equal(await spage.locator('#hs-street').count(), 0, 'a street has no street picker');
  await sctx.close();
});
