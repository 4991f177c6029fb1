#!/usr/bin/env node
// Interop peer: Debian's Firefox ESR (headless), driven by puppeteer-core over WebDriver BiDi
// (stock Firefox speaks it; playwright would need its own patched Firefox build). The page runs
// the interop kit's peers/common/core.js with Firefox's own RTCPeerConnection, exactly as the
// kit's Chromium peer does; file signaling is bridged into the page with exposeFunction().
// Flags: the kit's driver contract (../shared/interop/README.md).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const KIT = process.env.FLOE_IOP_KIT || path.resolve(__dirname, '../../../../../shared/interop');
let env0;
try { env0 = require(path.join(KIT, 'peers/common/node-env.js')); } catch (e) {
  process.stderr.write(`firefox peer: cannot load the interop kit from ${KIT} (${e.message}); set FLOE_IOP_KIT\n`);
  process.exit(2);
}

const o = env0.parseArgs(process.argv.slice(2), 'firefox');
const log = env0.makeLogger('firefox', o.role);
env0.startWatchdog(o, log);

const FIREFOX = process.env.FLOE_IOP_FIREFOX || '/usr/bin/firefox-esr';
// On top of puppeteer's automation profile (no updates, telemetry, safe browsing...):
const PREFS = {
  // host candidates as real addresses, not <uuid>.local mDNS names (like the Chromium peer's
  // --disable-features=WebRtcHideLocalIpsWithMdns)
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // nothing that would try to reach the internet from the namespace
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'dom.push.connection.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.predictor.enabled': false,
  'browser.region.network.url': '',
  'toolkit.telemetry.enabled': false,
};

let browser = null;
let profile = null;
async function shutdown() {
  try { if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 3000))]); } catch (e) { /* ignore */ }
  try { if (browser && browser.process()) browser.process().kill('SIGKILL'); } catch (e) { /* ignore */ }
  try { if (profile) fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* ignore */ }
}

let finished = false;
async function finish(r, code) {
  if (finished) return;
  finished = true;
  env0.writeResult(o, r);
  env0.printResult(r);
  await shutdown();
  process.exit(code);
}
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    log('got ' + sig + ', exiting');
    finish({ impl: 'firefox', role: o.role, mode: o.mode, ok: false, error: 'terminated by ' + sig }, 143);
  });
}

(async () => {
  let r;
  let version = '?';
  try {
    const puppeteer = require('puppeteer-core');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iop-firefox-'));
    browser = await puppeteer.launch({
      browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: profile,
      extraPrefsFirefox: PREFS, timeout: 20000,
    });
    version = await browser.version();
    const page = await browser.newPage();
    log(`${version} (puppeteer-core ${require('puppeteer-core/package.json').version}, WebDriver BiDi) node ${process.version} pid ${process.pid}`);
    log('userAgent: ' + await page.evaluate(() => navigator.userAgent));
    page.on('console', (m) => log('console.' + m.type() + ': ' + m.text()));
    page.on('pageerror', (e) => log('pageerror: ' + e));
    const sig = env0.makeSignal(o.signal);
    await page.exposeFunction('iopLog', (l) => log(l));
    await page.exposeFunction('iopWriteDesc', (role, obj) => sig.writeDesc(role, obj));
    await page.exposeFunction('iopReadDesc', (role, t) => sig.readDesc(role, t));
    await page.exposeFunction('iopAppendCandidate', (role, obj) => sig.appendCandidate(role, obj));
    await page.exposeFunction('iopReadCandidates', (role, from) => sig.readCandidates(role, from));
    await page.evaluate(fs.readFileSync(path.join(KIT, 'peers/common/core.js'), 'utf8'));
    env0.markReady(o);
    const pageOpts = env0.coreOptions(o);
    pageOpts.rtcConfig = env0.rtcConfiguration(o);
    log('RTCConfiguration: iceServers [' + pageOpts.rtcConfig.iceServers.map((s) => s.urls).join(' ')
      + '] iceTransportPolicy ' + pageOpts.rtcConfig.iceTransportPolicy);
    r = await page.evaluate(async (opts) => {
      const env = {
        createPC: () => new RTCPeerConnection(opts.rtcConfig),
        now: () => performance.now(),
        log: (l) => { window.iopLog(String(l)); },
        writeDesc: (role, obj) => window.iopWriteDesc(role, obj),
        readDesc: (role, t) => window.iopReadDesc(role, t),
        appendCandidate: (role, obj) => { window.iopAppendCandidate(role, obj); },
        readCandidates: (role, from) => window.iopReadCandidates(role, from),
        toSend: (u8) => u8,
        selectedPair: (pc) => IopCore.statsSelectedPair(pc),
      };
      try { return await IopCore.runPeer(opts, env); } catch (e) {
        env.log('ERROR: ' + (e && e.stack || e));
        return { impl: 'firefox', role: opts.role, mode: opts.mode, ok: false, error: String(e && e.message || e) };
      }
    }, pageOpts);
  } catch (e) {
    log('ERROR: ' + (e && e.stack || e));
    r = { impl: 'firefox', role: o.role, mode: o.mode, ok: false, error: String(e && e.message || e) };
  }
  r.version = version;
  // the page's last log lines travel through exposeFunction() asynchronously
  await new Promise((res) => setTimeout(res, 200));
  await finish(r, r.ok ? 0 : 1);
})();
