// Browser test of the supervisor's district map (Leaflet, vendored): an admin
// publishes a real-shaped boundary file for 东城区 (the district outline, 16
// of its 17 streets and its 169 official communities, every polygon with a
// hole; 景山街道 keeps its synthetic stand-in); whistles are raised across the
// district and in 朝阳区, worked to different states, one breached. The
// district supervisor's map draws the boundaries as vector layers, says which
// outline is synthetic, shows one marker per open whistle of its own
// district coloured by state with the breach ringed, and a click on a marker
// shows the whistle. The page keeps its strict Content-Security-Policy and
// needs no tiles. The screenshots go to docs/screenshots/ (supervisor-map*.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { stackAndBrowser, ROOT } from './stack.js';

const SHOTS = path.join(ROOT, 'docs/screenshots');
const DISTRICT = '110101'; // 东城区
const SYNTHETIC = '110101002'; // 景山街道: left out of the file
const LIVE = 30000;
const require = createRequire(import.meta.url);

const env = stackAndBrowser();

async function call(method, url, body, token, headers = {}) {
  const h = { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const r = await fetch(`${env.stack.url}${url}`, { method, headers: h, body: typeof body === 'string' ? body : body && JSON.stringify(body) });
  assert.ok(r.status === 200 || r.status === 201, `${method} ${url}: ${r.status} ${await r.clone().text()}`);
  return r.json();
}

const devToken = async (body) => (await call('POST', '/v1/dev/tokens', body)).token;

/** A number in [-1, 1) from a point, the same for every polygon that passes through it. */
function noise(x, y) {
  let h = (Math.round(x * 1e5) * 73856093) ^ (Math.round(y * 1e5) * 19349663);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (((h ^ (h >>> 16)) >>> 0) / 4294967296) * 2 - 1;
}

/**
 * A traced-looking outline of the box [w, s, e, n]: its edges cut into steps
 * of about `step` degrees, each point pushed across its edge by up to amp.
 * Neighbours sharing an edge trace it the same way.
 */
function tracedRing([w, s, e, n], step, amp) {
  const ring = [];
  const edge = (x0, y0, x1, y1) => {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const k = Math.max(1, Math.round(len / step));
    for (let i = 0; i < k; i++) {
      const x = x0 + ((x1 - x0) * i) / k, y = y0 + ((y1 - y0) * i) / k;
      const j = i === 0 ? 0 : amp * noise(x, y);
      ring.push(x0 === x1 ? [x + j, y] : [x, y + j]);
    }
  };
  edge(w, s, e, s); edge(e, s, e, n); edge(e, n, w, n); edge(w, n, w, s);
  ring.push(ring[0]);
  return ring;
}

/** A lake or park: an irregular ring of radius about r around (x, y), counter to the shell. */
function hole(x, y, r, seed) {
  const ring = [];
  for (let i = 0; i < 14; i++) {
    const a = (-2 * Math.PI * i) / 14;
    const d = r * (0.7 + 0.3 * Math.abs(noise(seed + i, seed - i)));
    ring.push([x + d * Math.cos(a), y + d * Math.sin(a)]);
  }
  ring.push(ring[0]);
  return ring;
}

function bbox(geometry) {
  const pts = geometry.coordinates.flat(geometry.type === 'MultiPolygon' ? 2 : 1);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** The boundary file: Dongcheng's outline, its streets but Jingshan, and every official community. */
async function dongchengFile(admin) {
  const streets = (await call('GET', `/v1/streets?district=${DISTRICT}`, null, admin)).streets;
  const feature = (props, coordinates) => ({ type: 'Feature', properties: props, geometry: { type: 'Polygon', coordinates } });
  const features = [];
  const boxes = {};
  for (const st of streets) boxes[st.id] = bbox(st.boundary);
  const all = Object.values(boxes);
  const d = [Math.min(...all.map((b) => b[0])) - 0.004, Math.min(...all.map((b) => b[1])) - 0.004,
    Math.max(...all.map((b) => b[2])) + 0.004, Math.max(...all.map((b) => b[3])) + 0.004];
  features.push(feature({ level: 'district', code: DISTRICT, name: '东城区' }, [tracedRing(d, 0.002, 0.0012), hole(d[0] + 0.0015, d[1] + 0.0015, 0.0008, 1)]));
  let communities = 0;
  for (const st of streets) {
    const [w, s, e, n] = boxes[st.id];
    if (st.id !== SYNTHETIC) {
      // The street's hole: a park in its south-west quarter, where no whistle is raised.
      features.push(feature({ level: 'street', code: st.id, name: st.name },
        [tracedRing([w, s, e, n], 0.001, 0.0005), hole(w + (e - w) * 0.25, s + (n - s) * 0.25, Math.min(e - w, n - s) * 0.08, 2)]));
    }
    // Its official communities, in a grid of cells over the street, each with a courtyard.
    const official = (await call('GET', `/v1/divisions?level=community&parent_code=${st.id}`, null, admin)).divisions;
    const cols = Math.ceil(Math.sqrt(official.length)), rows = Math.ceil(official.length / cols);
    official.forEach((c, i) => {
      const cw = (e - w) / cols, ch = (n - s) / rows;
      const x0 = w + cw * (i % cols), y0 = s + ch * Math.floor(i / cols);
      const cell = [x0, y0, x0 + cw, y0 + ch];
      features.push(feature({ level: 'community', code: c.code, name: c.name.replace(/居委会$/, '') },
        [tracedRing(cell, Math.min(cw, ch) / 4, Math.min(cw, ch) * 0.06), hole(x0 + cw / 2, y0 + ch / 2, Math.min(cw, ch) * 0.15, i + 3)]));
      communities++;
    });
  }
  return { file: JSON.stringify({ type: 'FeatureCollection', features }), streets, boxes, communities };
}

/** Polls until check(whistle) holds, as the street sees it. */
async function whistleWhen(id, token, check, what) {
  let w;
  for (let i = 0; i < 150; i++) {
    w = await call('GET', `/v1/whistles/${id}`, null, token);
    if (check(w)) return w;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: ${JSON.stringify(w)}`);
}

test('the supervisor map draws real-shaped boundaries and the district\'s whistles by state', async () => {
  const admin = await devToken({ role: 'admin' });
  const { file, streets, boxes, communities } = await dongchengFile(admin);
  const imported = await call('POST', '/v1/boundaries:import?publish=true&description=东城区边界（测试）', file, admin, { 'Content-Type': 'application/geo+json' });
  assert.equal(imported.version, 'b1');
  assert.equal(imported.units, 1 + (streets.length - 1) + communities);
  assert.ok(communities > 150, `Dongcheng's official communities: ${communities}`);

  // Noise in Dongcheng must be acknowledged within a second: its dispatch breaches at once.
  await call('POST', '/v1/sla/policies', { category: 'noise', district_id: DISTRICT, ack_within: '1s' }, admin);

  // Whistles in six streets of Dongcheng (the north-east part of each, clear of its park), and one in Chaoyang.
  const at = (id) => { const [w, s, e, n] = boxes[id]; return { lat: s + (n - s) * 0.7, lng: w + (e - w) * 0.7 }; };
  const raise = async (street, category, title, location) => {
    const tok = await devToken({ role: 'street', street_id: street });
    const w = await call('POST', '/v1/whistles', { street_id: street, category, title, description: `${title}，请相关部门到场处置。`, location }, tok);
    return { id: w.id, tok, title };
  };
  const ws = {
    vending: await raise('110101001', 'street-vending', '东华门大街占道经营', at('110101001')),
    road: await raise('110101003', 'road-damage', '交道口南大街路面塌陷', at('110101003')),
    garbage: await raise('110101006', 'garbage', '东四北大街垃圾堆放', at('110101006')),
    noise: await raise('110101008', 'noise', '建国门内大街夜间施工噪声', at('110101008')),
    fumes: await raise('110101011', 'cooking-fumes', '前门东大街餐饮油烟扰民', at('110101011')),
    ads: await raise(SYNTHETIC, 'illegal-ads', '景山前街违规小广告', at(SYNTHETIC)),
  };
  const jw = (await call('GET', '/v1/streets/110105001', null, admin)).centroid;
  const chaoyang = await raise('110105001', 'garbage', '建外大街垃圾堆放', { lat: jw.lat, lng: jw.lng });
  // Every department of each (the lead and its cooperating ones) has its dispatch.
  const cats = Object.fromEntries((await call('GET', '/v1/categories', null, admin)).categories.map((c) => [c.code, c]));
  const dispatched = {};
  for (const [k, w] of Object.entries({ ...ws, chaoyang })) {
    const x = await call('GET', `/v1/whistles/${w.id}`, null, w.tok);
    const n = 1 + (cats[x.category].cooperating_departments || []).length;
    dispatched[k] = (await whistleWhen(w.id, w.tok, (y) => (y.dispatches || []).length === n, `dispatches of ${k}`)).dispatches;
  }
  // Every desk of the vending whistle acknowledges; every desk of the road damage arrives.
  const act = async (ds, steps) => {
    for (const d of ds) {
      const tok = await devToken({ role: 'desk', district_id: DISTRICT, department: d.department });
      for (const s of steps) await call('POST', `/v1/dispatches/${d.id}:${s}`, s === 'arrive' ? { location: at('110101003') } : {}, tok);
    }
  };
  await act(dispatched.vending, ['acknowledge']);
  await act(dispatched.road, ['acknowledge', 'arrive']);
  await whistleWhen(ws.noise.id, ws.noise.tok, (x) => (x.dispatches || []).some((d) => (d.breaches || []).includes('ack')), 'the noise dispatch breached');

  // The district supervisor's page, with its real Content-Security-Policy.
  const ctx = await env.browser.newContext({ viewport: { width: 1366, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A refused script, style or image would show here (the sign-in probe's 401 is expected).
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  const sup = await devToken({ role: 'supervisor', district_id: DISTRICT });
  await page.addInitScript((tok) => localStorage.setItem('whistle.token', tok), sup);
  await page.goto(`${env.stack.url}/#/supervisor`);
  const map = page.locator('#smap');
  await map.locator('.wmark').nth(5).waitFor({ timeout: LIVE });

  // The boundaries as vector layers: the outline, 17 streets (one dashed as synthetic), every community.
  assert.equal(await map.getAttribute('data-version'), 'b1');
  assert.equal(await map.locator('path.area.district').count(), 1);
  assert.equal(await map.locator('path.area.street').count(), streets.length);
  assert.equal(await map.locator('path.area.street.synthetic').count(), 1);
  assert.equal(await map.locator('path.area.community').count(), communities);
  const holes = await map.locator('path.area.street:not(.synthetic)').evaluateAll((ps) => ps.filter((p) => (p.getAttribute('d').match(/M/g) || []).length >= 2).length);
  assert.equal(holes, streets.length - 1, 'every real street is drawn with its hole');
  await page.getByText('虚线为示意边界：1 个街道尚未导入真实边界').waitFor({ timeout: LIVE });
  assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tiles are configured, and none are needed');

  // One marker per open whistle of the district, none of Chaoyang's; coloured by state, the breach ringed.
  assert.equal(await map.locator('.wmark').count(), Object.keys(ws).length);
  assert.equal(await map.locator(`.wmark[data-whistle="${chaoyang.id}"]`).count(), 0, 'another district\'s whistle is not on the map');
  assert.equal(await map.locator(`.wmark[data-whistle="${ws.vending.id}"]`).getAttribute('data-state'), 'ACKNOWLEDGED');
  assert.equal(await map.locator(`.wmark[data-whistle="${ws.road.id}"]`).getAttribute('data-state'), 'ARRIVED');
  assert.equal(await map.locator(`.wmark[data-whistle="${ws.fumes.id}"]`).getAttribute('data-state'), 'PENDING');
  assert.equal(await map.locator('.wmark.breached').count(), 1);
  assert.equal(await map.locator('.wmark.breached').getAttribute('data-whistle'), ws.noise.id);
  const legend = page.locator('.map-legend');
  assert.equal(await legend.locator('[data-state="breached"] strong').textContent(), '1');
  assert.equal(await legend.locator('[data-state="ARRIVED"] strong').textContent(), '1');

  // The map and its markers keep the page accessible (WCAG 2.1 AA, as the other pages).
  // (evaluated, not added as a script tag: the page's policy refuses inline scripts)
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const axe = await page.evaluate(async () => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  assert.deepEqual(axe.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), []);

  // A layer can be hidden: the communities go, the streets stay.
  await page.getByLabel('社区', { exact: true }).uncheck();
  assert.equal(await map.locator('path.area.community').count(), 0);
  await page.getByLabel('社区', { exact: true }).check();
  assert.equal(await map.locator('path.area.community').count(), communities);

  mkdirSync(SHOTS, { recursive: true });
  const card = page.locator('section[aria-labelledby="map-h"]');
  await card.screenshot({ path: path.join(SHOTS, 'supervisor-map.png') });

  // Clicking the breached marker shows its whistle: title, street, each department's state, the breach.
  await map.locator('.wmark.breached').click();
  const pop = page.locator(`.leaflet-popup .wpop[data-whistle="${ws.noise.id}"]`);
  await pop.waitFor({ timeout: LIVE });
  assert.match(await pop.textContent(), /建国门内大街夜间施工噪声/);
  assert.match(await pop.textContent(), /建国门街道/);
  assert.match(await pop.textContent(), /有派单已超时/);
  assert.match(await pop.locator('li').first().textContent(), /待签收 · 已超时（签收）/);
  await card.screenshot({ path: path.join(SHOTS, 'supervisor-map-popup.png') });

  // The popup leads to the whistle's timeline.
  await pop.getByRole('button', { name: '时间线' }).click();
  await page.locator('dialog[open]').getByText('超时').first().waitFor({ timeout: LIVE });

  assert.deepEqual(errors, []);
  await ctx.close();
});
