#!/usr/bin/env node
// apps/floe/web/chat.html in headless Chromium against `floe chat`, copy-paste done through the
// page's text areas and buttons as a person would, in both directions:
//   browser offers / floe answers, and floe offers / browser answers;
// each with Chromium's host IPs visible (--disable-features=WebRtcHideLocalIpsWithMdns) and with
// the default flags (host candidates hidden behind mDNS .local names; floe relies on
// peer-reflexive discovery). One message each way must arrive in each run.
//   node tests/interop/chat_html.js FLOE_BINARY [--out DIR] [--timeout S]
// Needs playwright-core on NODE_PATH and /usr/bin/chromium (IOP_CHROMIUM). No ICE servers on either
// side. Run it through scripts/chat-browser-test.sh, which puts it in a network namespace of its
// own (loopback and 198.18.7.0/24 only): Chromium gathers on the default-route interface, which
// outside a namespace is the machine's real one. Exit 0 only if every run passed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const argv = process.argv.slice(2);
if (!argv[0]) { console.error('usage: chat_html.js FLOE_BINARY [--out DIR] [--timeout S]'); process.exit(2); }
const FLOE = path.resolve(argv[0]);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const OUT = path.resolve(opt('--out', fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chat-html-'))));
const STEP_MS = 1000 * Number(opt('--timeout', '20'));
const CHROMIUM = process.env.IOP_CHROMIUM || '/usr/bin/chromium';
const PAGE = path.resolve(__dirname, '..', '..', 'apps', 'floe', 'web', 'chat.html');
fs.mkdirSync(OUT, { recursive: true });

const BASE_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
];
const NO_MDNS = '--disable-features=WebRtcHideLocalIpsWithMdns';

const say = (s) => console.log(s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = STEP_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}

// `floe chat` on pipes, like a terminal a person types into.
function startFloe(role, tag) {
  const args = ['chat', '--' + role, '--ice-server', 'none', '--loopback'];
  const p = spawn(FLOE, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const f = { p, out: '', err: '', exit: null, cmd: FLOE + ' ' + args.join(' ') };
  p.stdout.on('data', (d) => { f.out += d; });
  p.stderr.on('data', (d) => { f.err += d; });
  p.on('exit', (code, sig) => { f.exit = { code, sig }; });
  p.on('error', (e) => { f.err += 'spawn error: ' + e + '\n'; f.exit = { code: -1 }; });
  f.lines = () => f.out.split('\n').slice(0, -1);
  f.type = (line) => p.stdin.write(line + '\n');
  f.save = () => fs.writeFileSync(path.join(OUT, tag + '.floe.log'),
    '$ ' + f.cmd + '\n--- stdout\n' + f.out + '--- stderr\n' + f.err + '--- exit ' + JSON.stringify(f.exit) + '\n');
  return f;
}

async function stopFloe(f) {
  if (f.exit) return;
  try { f.p.stdin.end(); } catch (e) { /* already closed */ }  // Ctrl-D
  const end = Date.now() + 3000;
  while (!f.exit && Date.now() < end) await sleep(50);
  if (!f.exit) { process.kill(f.p.pid, 'SIGKILL'); await sleep(100); }
}

async function pageLog(page) {
  return page.$$eval('#log div', (ds) => ds.map((d) => d.className + ': ' + d.textContent));
}

async function oneRun(ctx, browserOffers, tag) {
  const page = await ctx.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => consoleLines.push('pageerror: ' + e));
  const floe = startFloe(browserOffers ? 'answer' : 'offer', tag);
  try {
    await page.goto('file://' + PAGE);
    const servers = await page.inputValue('#servers');
    if (servers !== '') throw new Error('page loaded from file:// should default to no ICE servers, has ' + JSON.stringify(servers));
    const local = async () => page.inputValue('#local');
    if (browserOffers) {
      await page.click('#offer');
      const offer = await until('the page\'s offer', local);
      if (!offer.startsWith('{"type":"offer"')) throw new Error('page offer is not one JSON line: ' + offer.slice(0, 80));
      floe.type(offer);                                    // paste into the terminal
      const answer = await until('floe\'s answer line', () => floe.lines()[0]);
      await page.fill('#remote', answer);                  // paste into the page
      await page.click('#apply');
    } else {
      const offer = await until('floe\'s offer line', () => floe.lines()[0]);
      if (!offer.startsWith('{"type":"offer"')) throw new Error('floe\'s first stdout line is not the offer: ' + offer.slice(0, 80));
      await page.fill('#remote', offer);
      await page.click('#answer');
      const answer = await until('the page\'s answer', local);
      floe.type(answer);
    }
    await until('floe: channel open', () => floe.err.includes('channel open') || floe.exit);
    if (floe.exit) throw new Error('floe exited early ' + JSON.stringify(floe.exit));
    await until('page: input enabled', async () => !(await page.isDisabled('#input')));
    const fromPage = 'hello from chromium ' + tag + ' ✓';
    const fromFloe = 'hello from floe ' + tag + ' ✓';
    await page.fill('#input', fromPage);
    await page.press('#input', 'Enter');
    await until('floe prints the browser\'s message', () => floe.lines().includes(fromPage));
    floe.type(fromFloe);
    await until('page shows floe\'s message', async () =>
      (await page.$$eval('#log .peer', (ds) => ds.map((d) => d.textContent))).includes(fromFloe));
    await page.screenshot({ path: path.join(OUT, tag + '.png'), fullPage: true });
    // The terminal user presses Ctrl-D: floe must exit 0 and the page must see the close.
    floe.p.stdin.end();
    await until('floe exits on EOF', () => floe.exit, 5000);
    if (floe.exit.code !== 0) throw new Error('floe exit ' + JSON.stringify(floe.exit));
    await until('page sees the channel close', async () =>
      (await pageLog(page)).some((l) => l.includes('channel closed')), 10000);
    return { ok: true };
  } catch (e) {
    try { await page.screenshot({ path: path.join(OUT, tag + '.fail.png'), fullPage: true }); } catch (e2) { /* ignore */ }
    return { ok: false, error: String(e && e.message || e) };
  } finally {
    await stopFloe(floe);
    floe.save();
    let pl = [];
    try { pl = await pageLog(page); } catch (e) { /* ignore */ }
    fs.writeFileSync(path.join(OUT, tag + '.page.log'), pl.concat(['--- console'], consoleLines).join('\n') + '\n');
    await page.close().catch(() => {});
  }
}

(async () => {
  let chromium;
  try { ({ chromium } = require('playwright-core')); } catch (e) {
    console.error('chat_html: playwright-core not found (set NODE_PATH; scripts/install-deps.sh --interop)');
    process.exit(2);
  }
  for (const f of [FLOE, CHROMIUM, PAGE]) {
    if (!fs.existsSync(f)) { console.error('chat_html: missing ' + f); process.exit(2); }
  }
  let failed = 0;
  for (const mdns of [false, true]) {
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chat-chromium-'));
    const flags = mdns ? BASE_FLAGS : BASE_FLAGS.concat([NO_MDNS]);
    let ctx = null;
    try {
      ctx = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM, headless: true, args: flags, timeout: 20000,
      });
      for (const browserOffers of [true, false]) {
        const tag = (browserOffers ? 'browser-offers' : 'floe-offers') + (mdns ? '-mdns' : '-ip');
        const t0 = Date.now();
        const r = await oneRun(ctx, browserOffers, tag);
        say(`CHAT ${tag} ${r.ok ? 'PASS' : 'FAIL ' + r.error} ${Date.now() - t0}ms`);
        if (!r.ok) failed++;
      }
    } catch (e) {
      say(`CHAT chromium ${mdns ? 'mdns' : 'ip'} FAIL ${e && e.message || e}`);
      failed++;
    } finally {
      if (ctx) await Promise.race([ctx.close(), sleep(3000)]).catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  }
  say(`chat_html: ${failed ? failed + ' run(s) failed' : 'all runs passed'}; logs and screenshots in ${OUT}`);
  process.exit(failed ? 1 : 0);
})();
