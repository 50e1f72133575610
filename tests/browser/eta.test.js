// Browser test of the street's honest ETA (预计到场 / 预计办结, docs/eta.md):
// twenty garbage whistles make the history of 城管 and 生态环境 (each
// dispatch acknowledged, on site and done); on a new garbage whistle the
// street reads 生态环境's expected arrival and resolution at its dispatch plus
// the history's median, with the 80th percentile, and 城管's at the time its
// desk stated, with the desk's note. The test computes the medians from the
// dispatches it made. Screenshot: docs/screenshots/street-eta.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { stackAndBrowser, request, devToken, axe, SHOTS, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道
const DISTRICT = '110101'; // 东城区
const HERE = { lat: 39.9146, lng: 116.4036 };
const HISTORY = 20; // MinEtaSamples: fewer and the SLA deadline stands in

const env = stackAndBrowser();

const call = (method, url, body, token) => request(env.stack, method, url, { body, token });
const tokenOf = (body) => devToken(env.stack, body);

/** Polls fn until its answer has ok; fails with what it last saw. */
async function eventually(what, fn) {
  const deadline = Date.now() + 2 * LIVE;
  let last;
  for (;;) {
    last = await fn();
    if (last?.ok) return last;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Postgres' percentile_cont: linear interpolation between the closest ranks. */
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  const x = p * (s.length - 1), lo = Math.floor(x);
  return lo + 1 < s.length ? s[lo] + (x - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

/** What the console shows for a time: MM/DD HH:MM in Beijing time. */
const shown = (ms) => {
  const s = new Date(ms + 8 * 3600e3).toISOString();
  return `${s.slice(5, 7)}/${s.slice(8, 10)} ${s.slice(11, 16)}`;
};
// A computed time may differ from the service's by rounding: either minute a second around it.
const shownAround = (ms) => new Set([shown(ms - 1000), shown(ms), shown(ms + 1000)]);

test('the street reads the ETA from the departments\' history and from a desk\'s own estimate', async () => {
  const street = await tokenOf({ role: 'street', street_id: STREET });
  const supervisor = await tokenOf({ role: 'supervisor', district_id: DISTRICT });
  const desks = {};
  for (const dept of ['urban-management', 'environment']) desks[dept] = await tokenOf({ role: 'desk', district_id: DISTRICT, department: dept });
  const raise = async (i) => (await call('POST', '/v1/whistles', { street_id: STREET, category: 'garbage', title: `背街小巷垃圾堆放 ${i}`,
    description: '背街小巷垃圾堆放，需要清运。', location: HERE }, street)).id;
  const dispatchesOf = async (id) => (await eventually(`the dispatches of ${id}`, async () => {
    const w = await call('GET', `/v1/whistles/${id}`, undefined, supervisor);
    return { ok: (w.dispatches || []).length === 2, w };
  })).w.dispatches;

  // The history: every whistle raised first, then worked in turn, so each
  // dispatch waited a different time for its desk.
  const history = [];
  for (let i = 1; i <= HISTORY; i++) history.push(await raise(i));
  for (const id of history) {
    for (const d of await dispatchesOf(id)) {
      const tok = desks[d.department];
      await call('POST', `/v1/dispatches/${d.id}:acknowledge`, {}, tok);
      await call('POST', `/v1/dispatches/${d.id}:arrive`, { location: HERE }, tok);
      await call('POST', `/v1/dispatches/${d.id}:resolve`, { summary: '已清运' }, tok);
    }
  }
  // Every step in feedback (the ETA's history) before anything asks for an ETA.
  // The times are feedback's (its report), the record the history is read from.
  const report = async (id, done) => (await eventually(`${id} in feedback`, async () => {
    const rep = await call('GET', `/v1/whistles/${id}/report`, undefined, supervisor);
    return { ok: (rep.dispatches || []).length === 2 && rep.dispatches.every(done), rep };
  })).rep.dispatches;
  const facts = [];
  for (const id of history) facts.push(...await report(id, (d) => d.arrived_at && d.resolved_at));
  const envFacts = facts.filter((d) => d.department === 'environment');
  assert.equal(envFacts.length, HISTORY);
  const after = (d, k) => Date.parse(d[k]) - Date.parse(d.dispatched_at);
  const arrive = envFacts.map((d) => after(d, 'arrived_at'));
  const resolve = envFacts.map((d) => after(d, 'resolved_at'));

  // The new whistle; 城管's desk says it will be there in two hours.
  const id = await raise('今天');
  const ds = await dispatchesOf(id);
  const lead = ds.find((d) => d.department === 'urban-management');
  const coop = (await report(id, (d) => d.dispatched_at)).find((d) => d.department === 'environment');
  const { now } = await (await fetch(`${env.stack.url}/v1/time`)).json();
  const stated = new Date(Math.ceil((Date.parse(now) + 2 * 3600e3) / 60e3) * 60e3);
  await call('POST', `/v1/dispatches/${lead.id}:setEta`, { arrive_at: stated.toISOString(), note: '车辆在另一处清运，约两小时到' }, desks['urban-management']);

  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), street);
  await page.goto(`${env.stack.url}/#/street`);
  const card = page.locator(`article[data-whistle="${id}"]`);
  const row = (name) => card.locator('tr', { has: page.locator('th', { hasText: name }) });
  // The desk's estimate reaches the street with the live stream; the page may
  // have drawn the card before feedback had it.
  await row('城管').locator('.eta[data-basis="ETA_BASIS_DESK"]').waitFor({ timeout: LIVE });

  // 生态环境: its dispatch + the median, the 80th percentile beside it.
  const dispatched = Date.parse(coop.dispatched_at);
  const etas = row('生态环境').locator('.eta');
  assert.equal(await etas.count(), 2, '预计到场 and 预计办结');
  for (const [i, label, samples] of [[0, '预计到场', arrive], [1, '预计办结', resolve]]) {
    const e = etas.nth(i);
    const text = (await e.textContent()).trim();
    assert.match(await e.getAttribute('data-basis'), /^ETA_BASIS_HISTORY_(ANY_)?HOUR$/, text);
    const median = dispatched + percentile(samples, 0.5), p80 = dispatched + percentile(samples, 0.8);
    const at = Date.parse(await e.locator('time').getAttribute('datetime'));
    assert.ok(Math.abs(at - median) < 1000, `${label}: ${new Date(at).toISOString()} is the dispatch + the median (${new Date(median).toISOString()})`);
    const m = new RegExp(`^${label} (\\d\\d/\\d\\d \\d\\d:\\d\\d)（历史中位数(·同时段)?，八成在 (\\d\\d/\\d\\d \\d\\d:\\d\\d) 前）$`).exec(text);
    assert.ok(m, text);
    assert.ok(shownAround(median).has(m[1]), `${text}: median ${shown(median)}`);
    assert.ok(shownAround(p80).has(m[3]), `${text}: p80 ${shown(p80)}`);
  }

  // 城管: the desk's own time and note; done no earlier than on site.
  const lines = await row('城管').locator('.eta').allTextContents();
  assert.equal(lines[0].trim(), `预计到场 ${shown(stated.getTime())}（值班台预计） “车辆在另一处清运，约两小时到”`);
  assert.match(lines[1], new RegExp(`^预计办结 ${shown(stated.getTime())}（`), 'a resolution is never expected before the arrival');
  assert.doesNotMatch(lines[1], /八成在/, 'no 80th percentile earlier than the estimate it goes with');
  await axe(page, 'street eta', `article[data-whistle="${id}"]`);
  await card.screenshot({ path: path.join(SHOTS, 'street-eta.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});
