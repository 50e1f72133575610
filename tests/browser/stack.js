// Starts the whole system for the browser tests: builds the binaries and runs
// the `make run` launcher (.bin/whistle-dev) on a free HTTP port with its own
// database, run directory and free ports (WHISTLE_FREE_PORTS), so nothing is
// shared with a developer's `make run`, a bench or another test's stack.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Where the tests' screenshots go (the docs show them).
export const SHOTS = path.join(ROOT, 'docs/screenshots');
// A phone's viewport.
export const PHONE = { width: 390, height: 844 };
// How long a change may take to show without a reload (generous: CI shares two cores).
export const LIVE = 30000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const require = createRequire(import.meta.url);

// A free port below the kernel's ephemeral range (32768 and up by default),
// as the launcher picks its own: a port handed out for port 0 comes from that
// range, where any outgoing connection could take it before the stack listens.
const handedOut = new Set();
function freePort() {
  const tryPort = (port) => new Promise((resolve) => {
    const srv = createServer();
    srv.on('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return (async () => {
    for (let i = 0; i < 200; i++) {
      const port = 20000 + Math.floor(Math.random() * 12700);
      if (!handedOut.has(port) && await tryPort(port)) {
        handedOut.add(port);
        return port;
      }
    }
    throw new Error('no free port below 32700');
  })();
}

// The PostgreSQL server the stack's database is made on: the Go tests' own
// setting (WHISTLE_TEST_DATABASE_URL, an admin URL), else the local server.
const ADMIN_URL = new URL(process.env.WHISTLE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable');

function psql(sql) {
  execFileSync('psql', [ADMIN_URL.href, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });
}

function databaseURL(db) {
  const u = new URL(ADMIN_URL.href);
  u.pathname = `/${db}`;
  return u.href;
}

// The stack runs on a drill clock, as `make run` does with WHISTLE_TIME_SCALE:
// a clock that runs DRILL_SCALE times real time from an origin in the past,
// chosen so that the services' time is DRILL_AHEAD_MS ahead of the browser's
// when the stack starts. Countdowns computed from the browser's clock would
// be two hours off; the console must use the services' clock (GET /v1/time).
export const DRILL_SCALE = 1.001;
export const DRILL_AHEAD_MS = 2 * 3600e3;

/**
 * Returns {url, stop}. WHISTLE_CONSOLE_URL points the tests at a stack that
 * is already running instead (stop does nothing then).
 */
export async function startStack() {
  if (process.env.WHISTLE_CONSOLE_URL) {
    return { url: process.env.WHISTLE_CONSOLE_URL.replace(/\/$/, ''), stop: async () => {} };
  }
  execFileSync('make', ['build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // A port found free may be taken by another process before the stack binds
  // it, or a service may stop while starting: start again, on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt === 3) throw err;
      // Said on stderr, so that a run that passed on a later try still shows why the first failed.
      process.stderr.write(`stack.js: start ${attempt} failed, starting again: ${String(err.message).slice(-4000)}\n`);
    }
  }
}

async function startOnce() {
  const db = `whistle_browser_${process.pid}`;
  psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  const runDir = mkdtempSync(path.join(tmpdir(), 'whistle-browser-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The gateway's /readyz is on its private ops port, not the public one.
  const opsUrl = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(path.join(ROOT, '.bin/whistle-dev'), [], {
    cwd: ROOT,
    detached: true, // its own process group, so stop() reaches every service
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: databaseURL(db),
      WHISTLE_RUN_DIR: runDir,
      WHISTLE_HTTP_ADDR: `127.0.0.1:${port}`,
      WHISTLE_FREE_PORTS: '1',
      WHISTLE_GATEWAY_OPS_ADDR: opsUrl.replace('http://', ''),
      // The tests seed hundreds of whistles with one token.
      WHISTLE_RATE_PER_TOKEN: '0',
      WHISTLE_RATE_PER_IP: '0',
      WHISTLE_LOG_LEVEL: 'warn',
      // A service that dies fails the tests instead of being restarted unseen.
      WHISTLE_EXIT_ON_CRASH: '1',
      WHISTLE_TIME_SCALE: String(DRILL_SCALE),
      WHISTLE_TIME_ORIGIN: new Date(Date.now() - DRILL_AHEAD_MS / (DRILL_SCALE - 1)).toISOString(),
    },
  });
  // Whatever ends this process (a timeout's SIGTERM, Ctrl-C) ends the stack too,
  // so no service is left running.
  const killGroup = () => { try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ } };
  process.once('exit', killGroup);
  for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => { killGroup(); process.exit(130); });
  let log = '';
  const keep = (b) => { log = (log + b.toString()).slice(-20000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = (async () => {
    for (let i = 0; i < 240; i++) {
      try {
        const r = await fetch(`${opsUrl}/readyz`);
        if (r.ok) return true;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    return false;
  })();
  const ok = await Promise.race([ready, exited.then(() => false)]);
  const stop = async () => {
    try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 15000);
    await exited;
    clearTimeout(timer);
    rmSync(runDir, { recursive: true, force: true });
    try { psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`); } catch { /* best effort */ }
  };
  if (!ok) {
    await stop();
    throw new Error(`the stack did not become ready:\n${log}`);
  }
  return { url, stop };
}

/**
 * Waits until every service a desk page reads accepts a desk token of
 * stack: the gateway is ready before each backend has fetched the token keys
 * (JWKS), and a 401 in that window signs the page out.
 */
export async function servicesTakeTokens(stack, desk) {
  let last = '';
  for (let i = 0; i < 120; i++) {
    const r = await fetch(`${stack.url}/v1/dev/tokens`, { method: 'POST', body: JSON.stringify({ role: 'desk', ...desk }) })
      .catch((err) => ({ status: 0, text: async () => String(err) }));
    if (r.status === 200) {
      const tok = (await r.json()).token;
      const codes = await Promise.all(['/v1/streets?district=110101', '/v1/categories', '/v1/dispatches', '/v1/whistles']
        .map((p) => fetch(`${stack.url}${p}`, { headers: { Authorization: `Bearer ${tok}` } }).then((res) => res.status)));
      if (codes.every((c) => c !== 401)) return;
      last = `answers ${codes.join(', ')}`;
    } else {
      last = `dev token: ${r.status} ${await r.text()}`;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`the services never accepted a desk token (${last})`);
}

/**
 * Registers hooks that start the stack (until its services take tokens) and
 * a headless Chromium before the file's tests and stop both after them; the returned object holds them
 * ({stack, browser}) once the tests run.
 */
export function stackAndBrowser() {
  const env = {};
  before(async () => {
    env.stack = await startStack();
    await servicesTakeTokens(env.stack, { district_id: '110101', department: 'police' });
    env.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  });
  after(async () => {
    await env.browser?.close();
    await env.stack?.stop();
  });
  return env;
}

/**
 * Calls the stack's REST API: body is sent as JSON (a string as it is),
 * token as the bearer. An answer other than status (when given) or, without
 * it, other than 200 or 201 fails the test with the answer. Returns its JSON.
 */
export async function request(stack, method, url, { body, token, headers = {}, status } = {}) {
  const h = { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const r = await fetch(`${stack.url}${url}`, { method, headers: h, body: typeof body === 'string' ? body : body && JSON.stringify(body) });
  const ok = status ? r.status === status : r.status === 200 || r.status === 201;
  assert.ok(ok, `${method} ${url}: ${r.status} ${await r.clone().text()}`);
  return r.json();
}

/** A development token of the stack for the identity in body (role, street_id, …). */
export async function devToken(stack, body) {
  return (await request(stack, 'POST', '/v1/dev/tokens', { body })).token;
}

/**
 * Fails the test on WCAG 2.1 A/AA violations (axe-core) in the page, or in the
 * element of selector; label names them.
 */
export async function axe(page, label, selector) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async (sel) => window.axe.run(sel ? document.querySelector(sel) : document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }), selector);
  const bad = result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(bad, [], `${label}: accessibility violations`);
}
