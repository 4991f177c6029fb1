const { chromium } = require((process.env.IOP_DEPS || '/tmp/floe-interop-deps') + '/node_modules/playwright-core');
const { execFileSync } = require('child_process');
const floe = process.argv[2];
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage();
  await page.goto('about:blank');
  const offer = await page.evaluate(async () => { window.pc = new RTCPeerConnection(); pc.createDataChannel('x');
    const o = await pc.createOffer(); await pc.setLocalDescription(o); return o.sdp; });
  const answer = execFileSync(floe, ['sdp', '--answer', '-'], { input: offer }).toString();
  console.log('--- floe answer to chromium offer\n' + answer);
  console.log('chromium setRemoteDescription(floe answer): ' + await page.evaluate(async (sdp) => {
    try { await pc.setRemoteDescription({ type: 'answer', sdp }); return 'ok ' + pc.signalingState; } catch (e) { return 'ERR ' + e; } }, answer));
  const foffer = execFileSync(floe, ['sdp', '--offer']).toString();
  const ans = await page.evaluate(async (sdp) => { const pc2 = new RTCPeerConnection();
    try { await pc2.setRemoteDescription({ type: 'offer', sdp }); const a = await pc2.createAnswer(); await pc2.setLocalDescription(a); return a.sdp; }
    catch (e) { return 'ERR ' + e; } }, foffer);
  console.log('--- chromium answer to floe offer\n' + ans);
  try { console.log(execFileSync(floe, ['sdp', '--type', 'answer', '-'], { input: ans }).toString()); }
  catch (e) { console.log('floe refused: ' + e.stdout + e.stderr); }
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
