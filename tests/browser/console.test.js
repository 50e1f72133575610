// Browser tests of the web console: each role's main flow against a running
// stack, in Debian's Chromium driven by playwright-core (no browser download).
// A street raises joint-enforcement; the three departments' desks see it
// appear without a reload, acknowledge, arrive and resolve; the supervisor's
// board counts follow live; the street rates it. Screenshots of every role's
// page at desktop and phone width go to docs/screenshots/.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStack, ROOT, DRILL_AHEAD_MS } from './stack.js';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'docs/screenshots');
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const STREET = '110101001'; // 东华门街道, 东城区
const DISTRICT = '110101';
const DEPTS = ['urban-management', 'police', 'environment'];
const LIVE = 30000; // how long a change may take to show without a reload (generous: CI shares two cores)
// A desk's cards skip rendering while off screen (content-visibility: auto), and
// innerText of a skipped element is empty: the tests read cards' textContent.

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function devToken(body) {
  const r = await fetch(`${stack.url}/v1/dev/tokens`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).token;
}

/** A fresh browser context (its own storage) at a size, watching for page errors. */
async function newPage(viewport = DESKTOP, extra = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true, ...extra });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

/** Signs in through the dev sign-in form of the page. */
async function signInUI(page, role, fill = {}) {
  await page.goto(`${stack.url}/`);
  const form = page.locator(`form[data-role="${role}"]`);
  await form.waitFor();
  for (const [label, value] of Object.entries(fill)) await form.getByLabel(label).selectOption(value);
  await form.getByRole('button').click();
}

/** Opens a role's page with a token already stored (what sign-in leaves behind). */
async function openAs(page, token, role) {
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), token);
  await page.goto(`${stack.url}/#/${role}`);
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

async function axe(page, label) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const bad = result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(bad, [], `${label}: accessibility violations`);
}

const kpi = (page, k) => page.locator(`[data-kpi="${k}"] .kpi-n`).innerText().then(Number);

describe('console', () => {
  test('a joint-enforcement whistle from raise to rating, live on every page', async () => {
    // The supervisor's board is open before anything happens.
    const sup = await newPage(DESKTOP);
    await signInUI(sup, 'supervisor', { 区: DISTRICT });
    await sup.waitForSelector('[data-kpi="open"]');
    const openBefore = await kpi(sup, 'open');

    // Three desks open their queues (dev sign-in through the form).
    const desks = {};
    for (const dept of DEPTS) {
      const page = await newPage(PHONE, { geolocation: { latitude: 39.91462, longitude: 116.40351 }, permissions: ['geolocation'] });
      await signInUI(page, 'desk', { 区: DISTRICT, 部门: dept });
      await page.waitForSelector('#queue');
      desks[dept] = page;
    }

    // The street raises it with the keyboard only.
    const street = await newPage(DESKTOP);
    await signInUI(street, 'street', { 街道: STREET });
    await street.waitForSelector('#raise');
    await axe(street, 'street page');
    await street.locator('body').focus();
    let hops = 0;
    while (await street.evaluate(() => document.activeElement?.id) !== 'f-cat' && hops++ < 40) await street.keyboard.press('Tab');
    assert.equal(await street.evaluate(() => document.activeElement?.id), 'f-cat', 'Tab reaches the category picker');
    assert.equal(await street.locator('#f-cat').inputValue(), 'joint-enforcement');
    await street.keyboard.press('Tab');
    await street.keyboard.type('东华门大街夜间施工扰民');
    await street.keyboard.press('Tab');
    await street.keyboard.type('夜间违规施工，噪声扬尘扰民，需城管、公安、生态环境联合执法。');
    await street.keyboard.press('Tab'); // urgency: NORMAL is checked
    await street.keyboard.press('ArrowRight'); // → HIGH
    await street.keyboard.press('Tab');
    await street.keyboard.type('39.9146');
    await street.keyboard.press('Tab');
    await street.keyboard.type('116.4036');
    await street.keyboard.press('Tab'); // use street centre
    await street.keyboard.press('Tab');
    await street.keyboard.type('东华门大街 18 号');
    await street.waitForSelector('#f-loc-check[data-result="inside"]', { timeout: LIVE }); // checked against the street's boundary
    await street.keyboard.press('Tab');
    assert.equal(await street.evaluate(() => document.activeElement?.id), 'f-submit');
    await street.keyboard.press('Enter');
    const card = street.locator('article.whistle').filter({ hasText: '东华门大街夜间施工扰民' });
    await card.waitFor();
    const wid = await card.getAttribute('data-whistle');
    assert.ok(wid);
    assert.equal(await street.locator('input[name="urgency"]:checked').count(), 1);

    // Each desk sees its dispatch appear without a reload, acknowledges and arrives.
    for (const dept of DEPTS) {
      const page = desks[dept];
      const d = page.locator(`article.dispatch[data-whistle="${wid}"]`);
      await d.waitFor({ timeout: LIVE });
      assert.equal(await d.getAttribute('data-status'), 'PENDING');
      assert.match(await d.locator('.cd').textContent(), /剩/);
    }
    // The supervisor's board counts the three new dispatches without a reload.
    await sup.waitForFunction((n) => Number(document.querySelector('[data-kpi="open"] .kpi-n')?.textContent) >= n + 3, openBefore, { timeout: LIVE });

    await shot(desks.police, 'desk-phone');
    await desks.police.setViewportSize(DESKTOP);
    await shot(desks.police, 'desk-desktop');
    await desks.police.setViewportSize(PHONE);
    await axe(desks.police, 'desk page');

    for (const dept of DEPTS) {
      const page = desks[dept];
      const d = page.locator(`article.dispatch[data-whistle="${wid}"]`);
      await d.getByRole('button', { name: '签收' }).click();
      await page.waitForSelector(`article.dispatch[data-whistle="${wid}"][data-status="ACKNOWLEDGED"]`);
      await d.getByRole('button', { name: '到场', exact: true }).click(); // the browser's location, asked for at once
      await d.locator('.where[data-where="located"]').waitFor({ timeout: LIVE });
      await d.getByRole('button', { name: '确认到场' }).click();
      await page.waitForSelector(`article.dispatch[data-whistle="${wid}"][data-status="ARRIVED"]`);
    }
    // The street follows every department live.
    await street.waitForFunction((id) => {
      const el = document.querySelector(`article.whistle[data-whistle="${id}"]`);
      return el && [...el.querySelectorAll('.badge.d-ARRIVED')].length === 3;
    }, wid, { timeout: LIVE });

    for (const dept of DEPTS) {
      const page = desks[dept];
      const d = page.locator(`article.dispatch[data-whistle="${wid}"]`);
      await d.getByRole('button', { name: '办结' }).click();
      await d.getByLabel('办结说明').fill('已责令停工，现场恢复');
      await d.getByRole('button', { name: '确认' }).click();
      await d.waitFor({ state: 'detached' });
    }
    await sup.waitForFunction((n) => Number(document.querySelector('[data-kpi="open"] .kpi-n')?.textContent) === n, openBefore, { timeout: LIVE });

    // The street rates it; the whistle closes.
    await street.waitForSelector(`article.whistle[data-whistle="${wid}"][data-status="RESOLVED"]`, { timeout: LIVE });
    const w = street.locator(`article.whistle[data-whistle="${wid}"]`);
    await w.getByText('评价', { exact: true }).click();
    await w.getByLabel('满意度（1–5）').selectOption('5');
    await w.getByLabel('意见（可选）').fill('处置及时');
    await w.getByRole('button', { name: '提交评价' }).click();
    await street.waitForSelector(`article.whistle[data-whistle="${wid}"][data-status="CLOSED"]`, { timeout: LIVE });

    // The timeline shows the whole story.
    await w.getByRole('button', { name: '时间线' }).click();
    await street.waitForSelector('dialog[open] .timeline li');
    const tl = await street.locator('dialog[open] .timeline').innerText();
    for (const step of ['吹哨', '签收', '到场报到', '部门办结']) assert.ok(tl.includes(step), `timeline shows ${step}:\n${tl}`);
    await street.keyboard.press('Escape');

    for (const page of Object.values(desks)) {
      await page.waitForSelector('#live[data-mode="stream"]', { timeout: LIVE }); // the desk follows the event stream
    }
    for (const p of [sup, street, ...Object.values(desks)]) assert.deepEqual(p.errors, [], 'no script errors');
    await Promise.all([sup, street, ...Object.values(desks)].map((p) => p.context().close()));
  });

  test('screenshots of every role at desktop and phone width, in Chinese and English', async () => {
    // Some open work for the pictures: a whistle per category on the street.
    const tok = await devToken({ role: 'street', street_id: STREET });
    const raise = (category, description, lat, lng, urgency = 'NORMAL') => fetch(`${stack.url}/v1/whistles`, {
      method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Idempotency-Key': `shot-${category}` },
      body: JSON.stringify({ street_id: STREET, category, description, location: { lat, lng }, urgency }),
    });
    await raise('street-vending', '东华门夜市占道经营', 39.9131, 116.4052, 'HIGH');
    await raise('garbage', '胡同垃圾清运不及时', 39.9108, 116.3991);
    await raise('noise', '商铺外放音响扰民', 39.9152, 116.4010);
    const roles = {
      street: await devToken({ role: 'street', street_id: STREET }),
      desk: await devToken({ role: 'desk', district_id: DISTRICT, department: 'urban-management' }),
      supervisor: await devToken({ role: 'supervisor', district_id: DISTRICT }),
      admin: await devToken({ role: 'admin' }),
    };
    const ready = { street: '#mine article', desk: 'article.dispatch', supervisor: '[data-kpi="open"]', admin: 'table' };
    for (const [role, token] of Object.entries(roles)) {
      for (const [size, viewport] of Object.entries({ desktop: DESKTOP, phone: PHONE })) {
        const page = await newPage(viewport);
        await openAs(page, token, role);
        await page.waitForSelector(ready[role], { timeout: LIVE });
        if (role === 'supervisor') await page.waitForSelector('#rank-chart canvas', { state: 'attached', timeout: LIVE });
        if (size === 'desktop' && role !== 'street' && role !== 'desk') await axe(page, `${role} page`);
        await shot(page, `${role}-${size}`);
        if (size === 'desktop' && role === 'supervisor') {
          await page.getByRole('button', { name: 'English' }).click();
          await page.waitForSelector('h1:has-text("Risk board")');
          await page.waitForSelector('#rank-chart canvas', { state: 'attached' });
          await shot(page, 'supervisor-desktop-en');
        }
        assert.deepEqual(page.errors, [], `${role} ${size}: no script errors`);
        await page.context().close();
      }
    }
    const signin = await newPage(DESKTOP);
    await signin.goto(`${stack.url}/`);
    await signin.waitForSelector('form[data-role="street"]');
    await axe(signin, 'sign-in page');
    await shot(signin, 'signin-desktop');
    await signin.context().close();
  });

  test('a desk asks for an extension (延期) with a reason', async () => {
    const street = await devToken({ role: 'street', street_id: STREET });
    const r = await fetch(`${stack.url}/v1/whistles`, {
      method: 'POST', headers: { Authorization: `Bearer ${street}`, 'Idempotency-Key': `extension-${Date.now()}` },
      body: JSON.stringify({ street_id: STREET, category: 'road-damage', description: '路面塌陷需要封闭施工', location: { lat: 39.9121, lng: 116.4003 } }),
    });
    const wid = (await r.json()).id;
    const token = await devToken({ role: 'desk', district_id: DISTRICT, department: 'transport' });
    const page = await newPage(PHONE);
    await openAs(page, token, 'desk');
    const d = page.locator(`article.dispatch[data-whistle="${wid}"]`);
    await d.waitFor({ timeout: LIVE });
    await d.getByRole('button', { name: '签收' }).click();
    await page.waitForSelector(`article.dispatch[data-whistle="${wid}"][data-status="ACKNOWLEDGED"]`);
    await d.getByRole('button', { name: '延期' }).click();
    assert.equal(await d.getByLabel('延期的时限').inputValue(), 'arrive', 'the clock being raced is preselected');
    await d.getByLabel('延期理由').fill('道路封闭，需绕行，预计晚到');
    await d.getByRole('button', { name: '确认' }).click();
    await page.waitForSelector('#toast.show:has-text("延期申请已提交")');
    const id = await d.getAttribute('data-dispatch');
    const got = await (await fetch(`${stack.url}/v1/dispatches/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.equal(got.extensions?.[0]?.status, 'PENDING', JSON.stringify(got.extensions));
    assert.deepEqual(page.errors, []);
    await page.context().close();

    // The supervisor finds it in the district's queue of extensions awaiting a decision and approves it there.
    const sup = await newPage(DESKTOP);
    await openAs(sup, await devToken({ role: 'supervisor', district_id: DISTRICT }), 'supervisor');
    const row = sup.locator(`#exts tr[data-extension="${got.extensions[0].id}"]`);
    await row.waitFor({ timeout: LIVE });
    assert.match(await row.innerText(), /道路封闭，需绕行，预计晚到/);
    await row.getByRole('button', { name: '批准' }).click();
    await sup.waitForSelector('#toast.show:has-text("已保存")');
    await row.waitFor({ state: 'detached', timeout: LIVE });

    // The SLA report downloads as a CSV file (the gateway's document route, with the token).
    const [dl] = await Promise.all([sup.waitForEvent('download'), sup.getByRole('button', { name: '导出 SLA 报表' }).click()]);
    assert.match(dl.suggestedFilename(), /^sla-.*\.csv$/);
    const csv = readFileSync(await dl.path(), 'utf8');
    assert.ok(csv.startsWith('\ufeffdistrict,from,to,department,'), csv.slice(0, 80));
    const after = await (await fetch(`${stack.url}/v1/dispatches/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.equal(after.extensions?.[0]?.status, 'APPROVED', JSON.stringify(after.extensions));
    assert.deepEqual(sup.errors, []);
    await sup.context().close();
  });

  // The stack runs on a drill clock two hours ahead of the browser's: the
  // desk's countdown must be the services' deadline minus the services' now.
  test('countdowns run on the services\' clock in a drill', async () => {
    const clock = await (await fetch(`${stack.url}/v1/time`)).json();
    const ahead = Date.parse(clock.now) - Date.now();
    assert.ok(Math.abs(ahead - DRILL_AHEAD_MS) < 10 * 60000, `the services' clock is ${ahead} ms ahead, want ~${DRILL_AHEAD_MS}`);
    assert.ok(clock.scale > 1, `scale ${clock.scale}`);

    const street = await devToken({ role: 'street', street_id: STREET });
    const r = await fetch(`${stack.url}/v1/whistles`, {
      method: 'POST', headers: { Authorization: `Bearer ${street}`, 'Idempotency-Key': `drill-${Date.now()}` },
      body: JSON.stringify({ street_id: STREET, category: 'fire-lane-blocked', description: '消防通道被占用', location: { lat: 39.9131, lng: 116.4023 } }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    const wid = (await r.json()).id;
    const token = await devToken({ role: 'desk', district_id: DISTRICT, department: 'police' });
    const page = await newPage(PHONE);
    await openAs(page, token, 'desk');
    const d = page.locator(`article.dispatch[data-whistle="${wid}"]`);
    await d.waitFor({ timeout: LIVE });
    const chip = d.locator('.cd');
    const deadline = Date.parse(await chip.getAttribute('data-deadline'));
    // What is left on the services' clock, and what the card says, in minutes.
    const want = (deadline - Date.parse((await (await fetch(`${stack.url}/v1/time`)).json()).now)) / 60000;
    const text = await chip.locator('.cd-text').textContent();
    const m = text.match(/剩\s*(?:(\d+)小时)?(\d+)分/);
    assert.ok(m, `countdown "${text}"`);
    const shown = Number(m[1] || 0) * 60 + Number(m[2]);
    assert.ok(Math.abs(shown - want) <= 1.5, `the card shows ${shown} min left ("${text}"), the services' clock says ${want.toFixed(1)} min`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('an admin sets a calendar day, an SLA policy, a department and a street name', async () => {
    const page = await newPage(DESKTOP);
    await openAs(page, await devToken({ role: 'admin' }), 'admin');
    await page.waitForSelector('#cal-form');
    const date = `${new Date().getFullYear()}-12-27`;
    await page.getByLabel('日期', { exact: true }).fill(date);
    await page.getByLabel('类型').selectOption('WORKDAY');
    await page.getByLabel('名称（如 国庆节）').fill('元旦调休');
    await page.locator('#cal-form').getByRole('button', { name: '保存' }).click();
    await page.waitForSelector(`#calendar tr[data-day="${date}"]:has-text("元旦调休")`, { timeout: LIVE });

    await page.locator('#pol-form').getByLabel('类别').selectOption('noise');
    await page.locator('#pol-form').getByLabel('区').selectOption(DISTRICT);
    await page.getByLabel('到场时限（分钟）').fill('20');
    await page.locator('#pol-form').getByRole('button', { name: '保存' }).click();
    await page.waitForSelector('#policies tr:has-text("噪音扰民"):has-text("20 min")', { timeout: LIVE });

    await page.getByRole('button', { name: `删除日历日 ${date}` }).click();
    await page.waitForSelector(`#calendar tr[data-day="${date}"]`, { state: 'detached', timeout: LIVE });

    // A new department, and a street renamed.
    const dep = page.locator('#dep-form');
    await dep.getByLabel('代码').fill('parks');
    await dep.getByLabel('中文名称').fill('园林绿化局');
    await dep.getByLabel('英文名称').fill('Parks and Greening');
    await dep.getByRole('button', { name: '保存部门' }).click();
    await page.waitForSelector('#departments tr[data-department="parks"]:has-text("园林绿化局")', { timeout: LIVE });
    const st = page.locator('#st-form');
    await st.getByLabel('街道').selectOption('110101002');
    await st.getByLabel('英文名称').fill('Jingshan Subdistrict');
    await st.getByRole('button', { name: '修改街道名称' }).click();
    await page.waitForSelector('#toast.show:has-text("已保存")');
    const admin = await devToken({ role: 'admin' });
    const renamed = await (await fetch(`${stack.url}/v1/streets/110101002`, { headers: { Authorization: `Bearer ${admin}` } })).json();
    assert.equal(renamed.name_en, 'Jingshan Subdistrict');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  // The page a desk uses most, with 500 open dispatches in its queue. The time
  // is printed (and recorded in docs/benchmarks.md), not asserted: a shared
  // 2-core machine makes timing asserts flaky.
  test('a desk queue of 500 open dispatches loads and renders', async (t) => {
    const N = 500;
    const tok = await devToken({ role: 'street', street_id: STREET });
    const desk = await devToken({ role: 'desk', district_id: DISTRICT, department: 'market-regulation' });
    let next = 0;
    const raiseOne = async (i) => {
      for (let attempt = 0; ; attempt++) {
        const r = await fetch(`${stack.url}/v1/whistles`, {
          method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Idempotency-Key': `bulk-${i}` },
          body: JSON.stringify({ street_id: STREET, category: 'food-safety', description: `餐馆后厨卫生问题 #${i}`, location: { lat: 39.9125, lng: 116.4015 } }),
        });
        if (r.status === 201 || r.status === 200) return;
        if ((r.status === 429 || r.status >= 500) && attempt < 5) {
          await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
          continue;
        }
        assert.fail(`raise ${i}: HTTP ${r.status} ${await r.text()}`);
      }
    };
    await Promise.all([...Array(8)].map(async () => { while (next < N) await raiseOne(next++); }));
    const queued = async () => {
      let n = 0, pageToken = '';
      do {
        const r = await fetch(`${stack.url}/v1/dispatches?page_size=200${pageToken ? `&page_token=${pageToken}` : ''}`, { headers: { Authorization: `Bearer ${desk}` } });
        const body = await r.json();
        n += (body.dispatches || []).length;
        pageToken = body.next_page_token || '';
      } while (pageToken);
      return n;
    };
    let have = 0;
    for (let i = 0; i < 240 && (have = await queued()) < N; i++) await new Promise((res) => setTimeout(res, 500));
    assert.ok(have >= N, `the desk's queue holds ${have} dispatches, want ${N}`);

    const times = [];
    const firsts = [];
    const loads = [];
    for (let run = 0; run < 3; run++) {
      const page = await newPage(PHONE);
      await page.addInitScript((tk) => localStorage.setItem('whistle.token', tk), desk);
      await page.addInitScript(() => {
        const watch = () => {
          if (document.querySelector('article.dispatch')) window.firstCardAt = performance.now();
          else requestAnimationFrame(watch);
        };
        requestAnimationFrame(watch);
        // The whole queue is loaded and counted (the cards below the first screenful may still be drawing).
        const loaded = () => {
          if (document.querySelector('[data-loaded]')) window.loadedAt = performance.now();
          else requestAnimationFrame(loaded);
        };
        requestAnimationFrame(loaded);
      });
      await page.goto(`${stack.url}/#/desk`);
      const ms = await (await page.waitForFunction((n) => {
        const cards = document.querySelectorAll('article.dispatch').length;
        return cards >= n ? performance.now() : false;
      }, N, { timeout: 30000, polling: 'raf' })).jsonValue();
      times.push(Math.round(ms));
      firsts.push(Math.round(await page.evaluate(() => window.firstCardAt)));
      loads.push(Math.round(await page.evaluate(() => window.loadedAt)));
      assert.deepEqual(page.errors, []);
      await page.context().close();
    }
    times.sort((a, b) => a - b);
    firsts.sort((a, b) => a - b);
    loads.sort((a, b) => a - b);
    const line = `desk page with ${have} open dispatches: navigation start → first cards shown: ${firsts.join(', ')} ms (median ${firsts[1]} ms); `
      + `→ whole queue loaded and counted: ${loads.join(', ')} ms (median ${loads[1]} ms); `
      + `→ every card rendered: ${times.join(', ')} ms (median ${times[1]} ms); load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`;
    t.diagnostic(line);
  });

  // Last: it loads community boundaries and changes the catalogue, which the
  // tests above do not expect.
  test('a property company desk sees the community of its dispatch, and so does the street, with the committee', async () => {
    const admin = await devToken({ role: 'admin' });
    const call = async (method, url, body, tok, type = 'application/json') => {
      const r = await fetch(`${stack.url}${url}`, {
        method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': type },
        body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
      });
      const text = await r.text();
      assert.ok(r.status < 300, `${method} ${url}: HTTP ${r.status} ${text}`);
      return JSON.parse(text);
    };
    const rect = (w, s, e, n) => [[w, s], [e, s], [e, n], [w, n], [w, s]];
    await call('POST', '/v1/boundaries:import?level=community&publish=true', JSON.stringify({
      type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '110101001002', name: '银闸社区' },
        geometry: { type: 'Polygon', coordinates: [rect(116.405, 39.908, 116.411, 39.913)] } }],
    }), admin, 'application/geo+json');
    await call('PUT', '/v1/property-companies/pm-yinzha', { name: '银闸物业', name_en: 'Yinzha Property', community_codes: ['110101001002'] }, admin);
    const draft = await call('GET', '/v1/catalogue?version=draft', undefined, admin);
    draft.rules.push({ category: 'garbage', district_id: DISTRICT, lead_department: 'property-management',
      cooperating_departments: ['community-committee'], sla: draft.rules[0].sla });
    await call('PUT', '/v1/catalogue/draft', { rules: draft.rules }, admin);
    await call('POST', '/v1/catalogue/draft:publish', {}, admin);

    const desk = await newPage(PHONE);
    await openAs(desk, await devToken({ role: 'desk', district_id: DISTRICT, department: 'pm-yinzha' }), 'desk');
    await desk.waitForSelector('#queue');
    const streetTok = await devToken({ role: 'street', street_id: STREET });
    const w = await call('POST', '/v1/whistles', { street_id: STREET, category: 'garbage', title: '银闸小区垃圾堆积',
      description: '小区门口垃圾三天未清运', location: { lat: 39.910, lng: 116.408 }, coord_sys: 'WGS84' }, streetTok);
    const card = desk.locator(`article.dispatch[data-whistle="${w.id}"]`);
    await card.waitFor({ timeout: LIVE });
    assert.match(await card.locator('.community').textContent(), /银闸社区 110101001002/);
    await shot(desk, 'desk-property-company-phone');

    const street = await newPage(DESKTOP);
    await openAs(street, streetTok, 'street');
    const wc = street.locator(`article.whistle[data-whistle="${w.id}"] .community`);
    await wc.waitFor({ timeout: LIVE });
    assert.match(await wc.innerText(), /社区：银闸社区/);
    // The committee's desk is named by its committee (it is no department row).
    const deps = street.locator(`article.whistle[data-whistle="${w.id}"] table.deps`);
    await deps.getByText('银闸社区居委会').waitFor({ timeout: LIVE });
    await deps.getByText('银闸物业').waitFor({ timeout: LIVE });
    // So does the whistle's timeline.
    await street.locator(`article.whistle[data-whistle="${w.id}"] [data-timeline]`).click();
    const tl = street.locator('ol.timeline');
    await tl.getByText('银闸社区居委会').first().waitFor({ timeout: LIVE });
    assert.doesNotMatch(await tl.innerText(), /社区居委会 110101001002/);
    assert.deepEqual([...desk.errors, ...street.errors], []);
    await desk.context().close();
    await street.context().close();
  });
});
