// Browser test of the supervisor's drills page (演练): a real period is worked
// on time, recorded and replayed into a drill with whistlectl (as
// tests/e2e/drill_test.go does), one department's desk acknowledges the
// drill's dispatches and the other does not; the supervisor finds the drill
// in the list, reads the real period from the recording file and sees each
// department's drill rates beside the real ones, by name. A street has no
// drills page. Accessibility checked with axe; the screenshot goes to
// docs/screenshots/supervisor-drills.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stackAndBrowser, request, devToken, axe, ROOT, SHOTS, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道
const DISTRICT = '110101'; // 东城区
const HERE = { lat: 39.9146, lng: 116.4036 };
const DRILL = 'browser_day';

const env = stackAndBrowser();

const call = (method, url, body, token) => request(env.stack, method, url, { body, token });
const tokenOf = (body) => devToken(env.stack, body);

/** Polls fn until it returns something truthy; fails with what it last saw. */
async function eventually(what, fn) {
  const deadline = Date.now() + LIVE;
  let last;
  for (;;) {
    last = await fn();
    if (last?.ok) return last;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a supervisor compares a drill with the real period it replayed, per department', async () => {
  const supervisor = await tokenOf({ role: 'supervisor', district_id: DISTRICT });
  const street = await tokenOf({ role: 'street', street_id: STREET });
  const desks = {};
  for (const dept of ['urban-management', 'environment']) desks[dept] = await tokenOf({ role: 'desk', district_id: DISTRICT, department: dept });
  const at = async () => Date.parse((await (await fetch(`${env.stack.url}/v1/time`)).json()).now);

  // The real period: two garbage whistles (城管 leads, 生态环境 cooperates),
  // every dispatch acknowledged, on site and done at once.
  const from = new Date(Math.floor((await at()) / 1000) * 1000 - 1000);
  const real = [];
  for (const i of [1, 2]) {
    const w = await call('POST', '/v1/whistles', { street_id: STREET, category: 'garbage', title: `背街小巷垃圾堆放 ${i}`,
      description: '背街小巷垃圾堆放，需要清运。', location: HERE }, street);
    real.push(w.id);
  }
  const dispatchesOf = (id) => eventually(`the dispatches of ${id}`, async () => {
    const w = await call('GET', `/v1/whistles/${id}`, undefined, supervisor);
    return { ok: (w.dispatches || []).length === 2, dispatches: w.dispatches };
  });
  for (const id of real) {
    for (const d of (await dispatchesOf(id)).dispatches) {
      const tok = desks[d.department];
      await call('POST', `/v1/dispatches/${d.id}:acknowledge`, {}, tok);
      await call('POST', `/v1/dispatches/${d.id}:arrive`, { location: HERE }, tok);
      await call('POST', `/v1/dispatches/${d.id}:resolve`, { summary: '已清运' }, tok);
    }
  }
  const to = new Date(Math.ceil((await at()) / 1000) * 1000 + 1000);
  const iso = (d) => d.toISOString().replace('.000Z', 'Z');
  const q = `district=${DISTRICT}&real_from=${iso(from)}&real_to=${iso(to)}`;
  await eventually('the real period in feedback', async () => {
    const r = await call('GET', `/v1/drills/${DRILL}/report?${q}`, undefined, supervisor);
    return { ok: Number(r.total?.real?.resolved_on_time) === 4, total: r.total };
  });

  // Record it and replay it into the drill with whistlectl.
  const dir = mkdtempSync(path.join(tmpdir(), 'whistle-drill-'));
  const file = path.join(dir, 'day.jsonl');
  const cli = (...args) => execFileSync(path.join(ROOT, '.bin/whistlectl'), args, {
    env: { ...process.env, WHISTLE_URL: env.stack.url, WHISTLE_TOKEN: supervisor, HOME: dir }, encoding: 'utf8',
  });
  try {
    cli('drill', 'record', '--district', DISTRICT, '--from', iso(from), '--to', iso(to), '--out', file);
    assert.match(readFileSync(file, 'utf8').split('\n')[0], /"format":"whistle-drill-recording","version":1,"district":"110101"/);
    assert.match(cli('drill', 'run', file, '--drill', DRILL, '--speed', '600'), new RegExp(`drill ${DRILL}: 2 raises replayed`));

    // 城管 acknowledges the drill's dispatches; 生态环境 does not (yet).
    const drill = await eventually('the drill\'s dispatches', async () => {
      const ws = (await call('GET', '/v1/whistles?page_size=100', undefined, supervisor)).whistles.filter((w) => w.drill_id === DRILL);
      return { ok: ws.length === 2 && ws.every((w) => (w.dispatches || []).length === 2), ws };
    });
    for (const w of drill.ws) {
      const d = w.dispatches.find((x) => x.department === 'urban-management');
      await call('POST', `/v1/dispatches/${d.id}:acknowledge`, {}, desks['urban-management']);
    }
    await eventually('the drill in feedback', async () => {
      const r = await call('GET', `/v1/drills/${DRILL}/report?${q}`, undefined, supervisor);
      return { ok: Number(r.total?.drill?.dispatched) === 4 && Number(r.total?.drill?.acked_on_time) === 2, total: r.total };
    });

    const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), supervisor);
    await page.goto(`${env.stack.url}/#/supervisor`);
    await page.getByRole('link', { name: '演练' }).click();

    // The drill in the list: two replayed whistles, four dispatches, all open.
    const row = page.locator(`#dr-list tr[data-drill="${DRILL}"]`);
    await row.waitFor({ timeout: LIVE });
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 3), ['2', '4', '2']);
    assert.equal(await page.locator('#dr-list tbody tr').count(), 1, 'the real whistles are no drill');
    await row.getByRole('button', { name: `看报告: ${DRILL}` }).click();
    assert.equal(await page.getByLabel('演练编号').inputValue(), DRILL);

    // The real period from the recording's header, then the report by department.
    await page.locator('#dr-file').setInputFiles(file);
    await page.locator('#dr-file-note', { hasText: '已从文件读取：东城区，2 条' }).waitFor({ timeout: LIVE });
    assert.equal(await page.getByLabel('真实时段起（北京时间）').inputValue(), new Date(from.getTime() + 8 * 3600e3).toISOString().slice(0, 19));
    await page.getByRole('button', { name: '对比' }).click();
    const report = page.locator('#dr-report table');
    await report.waitFor({ timeout: LIVE });
    const rate = async (dept, k, side) => (await report.locator(`tr[data-key="${dept}"] td[data-rate="${k}"][data-side="${side}"]`).textContent()).trim();
    assert.equal(await report.locator('tr[data-key="urban-management"] th').textContent(), '城管');
    assert.equal(await report.locator('tr[data-key="environment"] th').textContent(), '生态环境');
    assert.equal(await rate('urban-management', 'ack_rate', 'drill'), '100%');
    assert.equal(await rate('urban-management', 'ack_rate', 'real'), '100%');
    assert.equal(await rate('environment', 'ack_rate', 'drill'), '0%', 'not acknowledged: not (yet) on time');
    assert.equal(await rate('environment', 'ack_rate', 'real'), '100%');
    assert.equal(await rate('environment', 'arrive_rate', 'real'), '100%');
    assert.equal((await report.locator('tr[data-key="environment"] td[data-diff="ack_rate"]').textContent()).trim(), '-100');
    assert.equal(await rate('', 'ack_rate', 'drill'), '50%', 'the total line');
    assert.doesNotMatch(await report.textContent(), /urban-management|environment/, 'names, not codes');
    await axe(page, 'drills');
    await page.screenshot({ path: path.join(SHOTS, 'supervisor-drills.png'), fullPage: true });

    // By category: one line, 垃圾堆放.
    await page.getByLabel('分组').selectOption('CATEGORY');
    await page.getByRole('button', { name: '对比' }).click();
    await report.locator('tr[data-key="garbage"] th', { hasText: '垃圾堆放' }).waitFor({ timeout: LIVE });
    assert.deepEqual(errors, []);
    await ctx.close();

    // A street has no drills page.
    const sctx = await env.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
    const spage = await sctx.newPage();
    await spage.addInitScript((tok) => localStorage.setItem('whistle.token', tok), street);
    await spage.goto(`${env.stack.url}/#/street`);
    await spage.locator('#nav a').first().waitFor({ timeout: LIVE });
    assert.equal(await spage.getByRole('link', { name: '演练' }).count(), 0);
    await sctx.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
