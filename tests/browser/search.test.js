// Browser test of 查询 / 台账 (the search over whistles and its register):
// whistles are raised across 东城区 (two streets, several categories and
// keywords, one breached) and one in 朝阳区. A district supervisor reaches the
// page from its navigation, filters by keyword and category and reads the
// rows by name (no codes), keeps the filters in the address (a reload shows
// the same search), narrows to the breached whistle, pages with 加载更多,
// sees the empty and error states in Chinese, and downloads the register as
// CSV and .xlsx with Chinese headers. A street opening the same link sees its
// own street only. Accessibility checked with axe; the screenshots go to
// docs/screenshots/ (supervisor-search.png, supervisor-search-phone.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { stackAndBrowser, request, devToken, axe, SHOTS, PHONE, LIVE } from './stack.js';

const DISTRICT = '110101'; // 东城区
const DONGHUAMEN = '110101001'; // 东华门街道
const JINGSHAN = '110101002'; // 景山街道
const JIANWAI = '110105001'; // 朝阳区建外街道
const GARBAGE = 22; // 东华门's plain garbage whistles: more than a page (20) with the one below

const env = stackAndBrowser();
const call = (method, url, opts = {}) => request(env.stack, method, url, opts);
const tokenOf = (body) => devToken(env.stack, body);

/** The files of a zip archive (an .xlsx workbook) by name. */
function unzip(buf) {
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'a zip archive');
  const files = {};
  let p = buf.readUInt32LE(end + 16);
  for (let i = buf.readUInt16LE(end + 10); i > 0; i--) {
    const method = buf.readUInt16LE(p + 10), size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files[name] = method === 8 ? inflateRawSync(data) : data;
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

/** The titles of the result rows once they are exactly want (in any order). */
async function rowsAre(page, want) {
  const sorted = [...want].sort();
  try {
    await page.waitForFunction((w) => {
      const got = [...document.querySelectorAll('table.results tbody tr .w-title')].map((e) => e.textContent).sort();
      return JSON.stringify(got) === JSON.stringify(w);
    }, sorted, { timeout: LIVE });
  } catch {
    const got = await page.locator('table.results tbody tr .w-title').allTextContents();
    assert.deepEqual(got.sort(), sorted, 'the rows a user sees');
  }
}

test('a supervisor searches by keyword and category, pages, exports the register; a street sees its own street', async () => {
  const admin = await tokenOf({ role: 'admin' });
  // Noise in 东城 must be acknowledged within a second: its dispatches breach at once.
  await call('POST', '/v1/sla/policies', { token: admin, body: { category: 'noise', district_id: DISTRICT, ack_within: '1s' } });
  const centre = {};
  for (const id of [DONGHUAMEN, JINGSHAN, JIANWAI]) centre[id] = (await call('GET', `/v1/streets/${id}`, { token: admin })).centroid;
  const streetTokens = {};
  let n = 0;
  const raise = async (street, category, title, address = '') => {
    streetTokens[street] ??= await tokenOf({ role: 'street', street_id: street });
    const w = await call('POST', '/v1/whistles', {
      token: streetTokens[street], headers: { 'Idempotency-Key': `search-browser-${++n}` },
      body: { street_id: street, category, title, address, description: `${title}，请相关部门到场处置。`, location: centre[street] },
    });
    return w.id;
  };
  await raise(DONGHUAMEN, 'street-vending', '东华门大街占道经营', '东华门大街 12 号');
  await raise(JINGSHAN, 'street-vending', '景山前街占道经营');
  await raise(DONGHUAMEN, 'garbage', '胡同口占道堆放垃圾');
  for (let i = 1; i <= GARBAGE; i++) await raise(DONGHUAMEN, 'garbage', `背街小巷垃圾堆放 ${i}`);
  const noise = await raise(JINGSHAN, 'noise', '景山后街夜间施工噪声');
  await raise(JIANWAI, 'street-vending', '建外大街占道经营');
  const supervisor = await tokenOf({ role: 'supervisor', district_id: DISTRICT });
  // The breach reaches intake's copy of the dispatches (the search's breach filter).
  for (const deadline = Date.now() + LIVE; ;) {
    const r = await call('GET', '/v1/search/whistles?breached=true', { token: supervisor });
    if ((r.whistles || []).some((w) => w.id === noise)) break;
    assert.ok(Date.now() < deadline, `the noise whistle never showed as breached: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 300));
  }

  // (axe is injected as a script, which the console's Content-Security-Policy
  // refuses: this context bypasses it; the phone's below keeps it.)
  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true, bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), supervisor);
  await page.goto(`${env.stack.url}/#/supervisor`);
  await page.getByRole('link', { name: '查询台账' }).click();
  await page.waitForURL(/#\/supervisor\/search$/);
  // Unfiltered: the district's newest first, a page of 20, 朝阳's never.
  await page.locator('table.results tbody tr').nth(19).waitFor({ timeout: LIVE });
  assert.equal(await page.locator('table.results tbody tr').count(), 20);
  assert.equal(await page.locator('table.results tbody tr .w-title').first().textContent(), '景山后街夜间施工噪声', 'newest first');

  // Keyword + category, chosen by name.
  await page.getByLabel('关键词', { exact: true }).fill('占道');
  await page.getByLabel('类别', { exact: true }).selectOption({ label: '占道经营' });
  await page.getByRole('button', { name: '查询', exact: true }).click();
  await rowsAre(page, ['东华门大街占道经营', '景山前街占道经营']);
  const table = page.locator('table.results');
  const first = table.locator('tbody tr', { hasText: '东华门大街占道经营' });
  assert.match(await first.textContent(), /东华门街道/);
  assert.match(await first.textContent(), /占道经营/);
  assert.match(await first.textContent(), /东华门大街 12 号/);
  assert.match(await table.locator('tbody tr', { hasText: '景山前街占道经营' }).textContent(), /景山街道/);
  assert.doesNotMatch(await table.textContent(), /110101|street-vending|urban-management|NORMAL|RAISED|ROUTED/, 'names, not codes');
  assert.match(await page.locator('#q-count').textContent(), /共 2 条/);
  assert.equal(await page.locator('#q-more').isVisible(), false);
  // The filters are in the address: a reload shows the same search.
  const hash = new URL(page.url()).hash;
  assert.match(decodeURIComponent(hash), /^#\/supervisor\/search\?.*keyword=占道/);
  assert.match(hash, /category=street-vending/);
  await page.reload();
  await rowsAre(page, ['东华门大街占道经营', '景山前街占道经营']);
  assert.equal(await page.getByLabel('关键词', { exact: true }).inputValue(), '占道');
  assert.equal(await page.getByLabel('类别', { exact: true }).inputValue(), 'street-vending');
  await axe(page, 'search');
  await page.screenshot({ path: path.join(SHOTS, 'supervisor-search.png'), fullPage: true });

  // The register of this search: CSV and .xlsx, Chinese headers, names.
  const save = async (label) => {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: LIVE }), page.getByRole('button', { name: label }).click()]);
    return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
  };
  const csv = await save('导出 CSV');
  assert.match(csv.name, /^whistle-register.*\.csv$/);
  const lines = csv.bytes.toString('utf8').replace(/^\ufeff/, '').trim().split(/\r?\n/);
  assert.equal(lines.length, 3, 'the header and the two whistles');
  assert.match(lines[0], /^编号,标题,区,街道,类别,紧急程度,状态,承办部门,发起时间/);
  assert.ok(lines.some((l) => l.includes('东华门大街占道经营') && l.includes('东华门街道') && l.includes('东城区')), lines.join('\n'));
  const xlsx = await save('导出台账（Excel）');
  assert.match(xlsx.name, /^whistle-register.*\.xlsx$/);
  const text = Object.values(unzip(xlsx.bytes)).map((b) => b.toString('utf8')).join('\n');
  for (const s of ['台账', '编号', '承办部门', '景山前街占道经营', '景山街道']) assert.ok(text.includes(s), `the workbook holds ${s}`);
  await page.getByText(/已下载：whistle-register/).waitFor({ timeout: LIVE });

  // The breached whistle, marked, with which department's clock ran out.
  await page.getByLabel('关键词', { exact: true }).fill('');
  await page.getByLabel('类别', { exact: true }).selectOption({ label: '全部' });
  await page.getByLabel('只看超时').check();
  await page.getByRole('button', { name: '查询', exact: true }).click();
  await rowsAre(page, ['景山后街夜间施工噪声']);
  const late = table.locator('tbody tr').first();
  assert.equal(await late.getAttribute('data-breached'), '1');
  assert.match(await late.textContent(), /已超时/);
  assert.match(await late.textContent(), /签收超时/);
  // Its timeline, from the row.
  await late.getByRole('button', { name: /时间线/ }).click();
  await page.locator('dialog[open]').getByText('超时').first().waitFor({ timeout: LIVE });
  await page.locator('dialog[open]').getByRole('button', { name: '关闭' }).click();

  // A category of more than a page: 加载更多 with the page token.
  await page.getByLabel('只看超时').uncheck();
  await page.getByLabel('类别', { exact: true }).selectOption({ label: '垃圾堆放' });
  await page.getByRole('button', { name: '查询', exact: true }).click();
  await page.locator('#q-count', { hasText: '已显示 20 条' }).waitFor({ timeout: LIVE });
  assert.equal(await page.locator('table.results tbody tr').count(), 20);
  await page.getByRole('button', { name: '加载更多' }).click();
  await page.locator('#q-count', { hasText: '共 23 条' }).waitFor({ timeout: LIVE });
  const titles = await page.locator('table.results tbody tr .w-title').allTextContents();
  assert.equal(new Set(titles).size, 23, 'no whistle twice');
  assert.ok(titles.includes('胡同口占道堆放垃圾') && titles.includes('背街小巷垃圾堆放 1'));
  assert.equal(await page.locator('#q-more').isVisible(), false);
  assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') || ''), /^时间线：/, 'the focus moves to the first new row');

  // The department picker lists the community committees of the chosen street.
  await page.getByLabel('街道', { exact: true }).selectOption({ label: '东华门街道' });
  await page.waitForFunction(() => [...document.querySelectorAll('#q-department option')].some((o) => o.value.startsWith('cc-')), null, { timeout: LIVE });
  const committee = await page.locator('#q-department optgroup[label="社区居委会"] option').first().textContent();
  assert.match(committee, /社区居委会$/);
  assert.ok(await page.locator('#q-department option', { hasText: '公安' }).count() >= 1, 'departments by name');

  // Empty and error states, in Chinese.
  await page.getByLabel('类别', { exact: true }).selectOption({ label: '全部' });
  await page.getByLabel('关键词', { exact: true }).fill('没有这样的哨单');
  await page.getByRole('button', { name: '查询', exact: true }).click();
  await page.getByText('没有符合条件的哨单。').waitFor({ timeout: LIVE });
  await page.getByLabel('关键词', { exact: true }).fill('');
  await page.getByLabel('起始日期').fill('2030-02-01');
  await page.getByLabel('截止日期').fill('2030-01-01');
  await page.getByRole('button', { name: '查询', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: /查询失败：截止日期/ }).waitFor({ timeout: LIVE });
  assert.deepEqual(errors, []);
  await ctx.close();

  // The phone: the same search by link, one card per whistle.
  const pctx = await env.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const ppage = await pctx.newPage();
  // A refused script or style (the page keeps its strict Content-Security-Policy).
  ppage.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  ppage.on('pageerror', (e) => errors.push(String(e)));
  await ppage.addInitScript((tok) => localStorage.setItem('whistle.token', tok), supervisor);
  await ppage.goto(`${env.stack.url}/${hash}`);
  await rowsAre(ppage, ['东华门大街占道经营', '景山前街占道经营']);
  const width = await ppage.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no sideways scrolling on a phone (page ${width} px wide)`);
  await ppage.screenshot({ path: path.join(SHOTS, 'supervisor-search-phone.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await pctx.close();

  // 景山街道 opens the supervisor's link: its own street's whistles only, no street picker.
  const sctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const spage = await sctx.newPage();
  await spage.addInitScript((tok) => localStorage.setItem('whistle.token', tok), await tokenOf({ role: 'street', street_id: JINGSHAN }));
  await spage.goto(`${env.stack.url}/#/supervisor/search?keyword=${encodeURIComponent('占道')}`);
  await spage.waitForURL(/#\/street\/search\?keyword=/);
  await rowsAre(spage, ['景山前街占道经营']);
  assert.equal(await spage.locator('#q-street').count(), 0, 'a street has no street picker');
  assert.equal(await spage.getByRole('link', { name: '查询台账' }).getAttribute('aria-current'), 'page');
  await sctx.close();
});
