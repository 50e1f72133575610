// Renders the console's icon (static/icons/icon.svg) to the PNG sizes the web
// app manifest and iOS ask for, in the same Chromium the browser tests use:
//   cd tests/browser && npm ci && node icons.js
// The PNGs are committed, so neither the build nor the gateway runs this.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './stack.js';

const DIR = path.join(ROOT, 'services/gateway/internal/console/static/icons');
const svg = readFileSync(path.join(DIR, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
try {
  for (const size of [180, 192, 512]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<style>html,body{margin:0}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`);
    await page.screenshot({ path: path.join(DIR, `icon-${size}.png`) });
    await page.close();
  }
} finally {
  await browser.close();
}
