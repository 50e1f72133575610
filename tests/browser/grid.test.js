// Browser test of the grid worker's page (网格员) on a phone: the grid worker
// signs in through the dev sign-in form, files a report with a photo and the
// device's position (geolocation granted to the context), sees it in the
// micro-grid's list waiting for triage with its photo, then sees live what
// the street made of it: raised as a whistle (with the whistle's state), and
// a second report not taken up (with the reason). Accessibility checked with
// axe; screenshots go to docs/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { stackAndBrowser, request, axe, SHOTS, PHONE, LIVE } from './stack.js';

const STREET = '110101001'; // 东华门街道
const HERE = { latitude: 39.91462, longitude: 116.40351 };

const env = stackAndBrowser();

const call = (url, body, token) => request(env.stack, body ? 'POST' : 'GET', url, { body, token, status: 200 });

test('a grid worker files a report with a photo and its position on a phone, and follows its outcome', async () => {
  const ctx = await env.browser.newContext({
    viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true,
    geolocation: HERE, permissions: ['geolocation'],
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // Sign in as a grid worker of micro-grid DHM-07 through the dev sign-in form.
  await page.goto(`${env.stack.url}/`);
  const signIn = page.locator('form[data-role="grid"]');
  await signIn.waitFor({ timeout: LIVE });
  await signIn.locator('select[name="street_id"]').selectOption(STREET);
  await signIn.locator('input[name="grid_id"]').fill('DHM-07');
  await signIn.getByRole('button', { name: '以网格员身份进入' }).click();
  await page.getByRole('heading', { name: /上报问题/ }).waitFor({ timeout: LIVE });
  await page.getByText('本网格还没有上报。').waitFor({ timeout: LIVE });

  // A photo as a phone's camera would hand it over (a JPEG made in the page).
  const jpeg = Buffer.from(await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 640; c.height = 480;
    const g = c.getContext('2d');
    g.fillStyle = '#5b7c99'; g.fillRect(0, 0, 640, 480);
    g.fillStyle = '#2f7d32'; g.fillRect(220, 160, 200, 240);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  }), 'base64');

  await page.getByLabel('问题类别').selectOption('garbage');
  await page.getByLabel('问题描述').fill('东华门大街12号门前垃圾桶满溢');
  await page.getByLabel('现场照片').setInputFiles({ name: 'IMG_0412.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await page.getByRole('button', { name: '获取当前位置' }).click();
  await page.getByText(`已定位：${HERE.latitude.toFixed(6)}, ${HERE.longitude.toFixed(6)}`).waitFor({ timeout: LIVE });
  await page.getByText('IMG_0412.jpg').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, 'grid-phone-form.png') });
  await page.getByRole('button', { name: '提交上报' }).click();

  // The report is in the micro-grid's list, waiting for triage, with its photo.
  const item = page.locator('li.grid-report', { hasText: '东华门大街12号门前垃圾桶满溢' });
  await item.waitFor({ timeout: LIVE });
  await item.getByText('待街道分拣').waitFor();
  await item.getByText('分拣时限').waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('li.grid-report .report-photos img');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: LIVE });
  await axe(page, 'grid page');
  // The list is drawn again as news of the report arrives: scroll to the item as it is then.
  for (let tries = 1; ; tries++) {
    try {
      await item.scrollIntoViewIfNeeded();
      break;
    } catch (err) {
      if (tries === 3) throw err;
    }
  }
  await page.screenshot({ path: path.join(SHOTS, 'grid-phone-filed.png') });
  // The form is ready for the next report: no photo, and the position is taken afresh.
  assert.equal(await page.locator('#gr-pos').innerText(), '');
  await page.getByText('未选择照片').waitFor();

  // The server has the photo and the position the browser gave (WGS-84).
  const gridToken = await page.evaluate(() => localStorage.getItem('whistle.token'));
  const { reports } = await call('/v1/discovery/reports', undefined, gridToken);
  assert.equal(reports.length, 1);
  const report = reports[0];
  assert.equal(report.grid_id, 'DHM-07');
  assert.ok(Math.abs(report.location.lat - HERE.latitude) < 1e-6 && Math.abs(report.location.lng - HERE.longitude) < 1e-6,
    `position ${JSON.stringify(report.location)}`);
  assert.equal(report.attachments.length, 1);
  assert.equal(report.attachments[0].media_type, 'image/jpeg');

  // The street blows the whistle on it: the page shows the whistle and its state without a reload.
  const { token: streetToken } = await call('/v1/dev/tokens', { role: 'street', street_id: STREET });
  const { whistle } = await call('/v1/discovery/reports:triage', { report_ids: [report.id], action: 'BLOW_WHISTLE' }, streetToken);
  await item.getByText('已吹哨').waitFor({ timeout: LIVE });
  await item.getByText(`哨单 ${whistle.id.slice(-8)}`).waitFor();
  assert.match(await item.locator('.grid-outcome').innerText(), /已吹哨 · 哨单 \w{8} · (已吹哨|已派单|处置中|待人工派单)/);

  // A second report, not taken up by the street: the page says why.
  const second = await call('/v1/discovery/reports', {
    category: 'street-vending', description: '地铁口流动摊贩', location: { lat: HERE.latitude, lng: HERE.longitude }, coord_sys: 'WGS84',
  }, gridToken);
  const secondItem = page.locator('li.grid-report', { hasText: '地铁口流动摊贩' });
  await secondItem.waitFor({ timeout: LIVE });
  await call('/v1/discovery/reports:triage', { report_ids: [second.report.id], action: 'REJECT', result: '已由城管执法队日常巡查处理，不再立案' }, streetToken);
  await secondItem.getByText('不予受理').waitFor({ timeout: LIVE });
  await secondItem.getByText('理由：已由城管执法队日常巡查处理，不再立案').waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'grid-phone.png'), fullPage: true });

  assert.deepEqual(errors, []);
  await ctx.close();
});
