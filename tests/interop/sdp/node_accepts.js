// Shared part of werift_accepts.js and libdatachannel_accepts.js: does a Node WebRTC stack
// accept floe's descriptions, and does floe accept the stack's? Descriptions only: no
// connection is made. The stacks are loaded through tests/interop/peers/node/stacks.js from
// the npm packages that `scripts/install-deps.sh --interop` installed ($FLOE_INTEROP_NPM).
//
//   node X_accepts.js FLOE_BINARY [--offer-file F] [--answer-to F]
//
// Checks (each prints PASS/FAIL with the reason; exit 1 if any fails, 2 on usage errors):
//   1. the stack offers; `floe sdp --answer -` answers; the stack's setRemoteDescription(answer)
//      succeeds.
//   2. floe offers (`floe sdp --offer`, or the offer in --offer-file F); the stack's
//      setRemoteDescription(offer) + createAnswer + setLocalDescription succeed; floe reads the
//      stack's answer (`floe sdp --type answer -`).
//   3. with --answer-to F: the stack offers and accepts F (a floe answer, bare SDP or
//      {"type","sdp"} JSON) as the answer.
// "Accepts" means setRemoteDescription() resolved AND the stack's remoteDescription (which
// both stacks write anew from what they parsed) has the given ICE ufrag, pwd and fingerprint:
// werift resolves setRemoteDescription() even for "v=0\r\nbogus\r\n", so resolving alone
// proves nothing.
// Candidate lines of the descriptions given to the stack are removed first: nothing here may
// make a stack send connectivity checks to an address from a file (floe's own generated
// descriptions carry none).
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const NPM = process.env.FLOE_INTEROP_NPM || path.join(process.env.XDG_CACHE_HOME || '/tmp', 'floe-interop-npm');

function usage(name, msg) {
  if (msg) process.stderr.write(msg + '\n');
  process.stderr.write(`usage: node ${name}_accepts.js FLOE_BINARY [--offer-file F] [--answer-to F]\n`);
  process.exit(2);
}

// bare SDP or a {"type":..., "sdp":...} file
function readSdp(file) {
  const text = fs.readFileSync(file, 'utf8');
  try { const j = JSON.parse(text); if (j && typeof j.sdp === 'string') return j.sdp; } catch (e) { /* bare SDP */ }
  return text;
}
const withoutCandidates = (sdp) => sdp.split(/\r?\n/).filter((l) => !/^a=(candidate|end-of-candidates)/.test(l)).join('\r\n');
// floe prints CRLF SDP; a file may have LF only
const crlf = (sdp) => sdp.replace(/\r?\n/g, '\r\n');

// the first value of `a=NAME:` in an SDP (null if absent)
const attr = (sdp, name) => { const m = new RegExp('^a=' + name + ':(.*?)\\s*$', 'mi').exec(sdp); return m ? m[1] : null; };
// setRemoteDescription(desc) and check that the stack kept what floe relies on; throws if not
async function applyRemote(pc, type, sdp) {
  await pc.setRemoteDescription({ type, sdp });
  const kept = (pc.remoteDescription && pc.remoteDescription.sdp) || '';
  for (const name of ['ice-ufrag', 'ice-pwd', 'fingerprint']) {
    const want = attr(sdp, name);
    if (want === null) throw new Error(`the description has no a=${name}`);
    const got = attr(kept, name);
    if (got === null || got.toLowerCase() !== want.toLowerCase()) {
      throw new Error(`setRemoteDescription resolved, but the stack's remoteDescription has a=${name}:${got} instead of ${want}`);
    }
  }
  // both stacks accept an answer whose mids differ from their offer's (seen: a=mid:7 to an
  // offer with a=mid:0); JSEP §5.3.1 says the answer's m= sections echo the offer's mids
  if (type === 'answer') {
    const mids = (d) => (d.match(/^a=mid:(\S+)/gm) || []).join(' ');
    const offered = mids(pc.localDescription.sdp);
    if (mids(sdp) !== offered) throw new Error(`the answer's mids [${mids(sdp)}] are not the offer's [${offered}]`);
  }
  return 'signalingState ' + pc.signalingState;
}

function floe(bin, args, input) {
  try {
    return { ok: true, out: execFileSync(bin, ['sdp', ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString() };
  } catch (e) {
    return { ok: false, out: String(e.stdout || '') + String(e.stderr || '') || String(e.message) };
  }
}

async function main(stackName) {
  const argv = process.argv.slice(2);
  const bin = argv.shift();
  if (!bin || bin.startsWith('-')) usage(stackName, 'FLOE_BINARY required');
  let offerFile = null, answerTo = null;
  while (argv.length) {
    const a = argv.shift();
    if (a === '--offer-file' && argv.length) offerFile = argv.shift();
    else if (a === '--answer-to' && argv.length) answerTo = argv.shift();
    else usage(stackName, 'unknown argument ' + a);
  }
  // the stack's package from the interop npm directory (never from the source tree)
  process.env.NODE_PATH = path.join(NPM, 'node_modules');
  require('module').Module._initPaths();
  const stack = require('../peers/node/stacks.js')[stackName];
  try { stack.load((l) => { if (process.env.FLOE_IOP_VERBOSE) process.stderr.write(l + '\n'); }); } catch (e) {
    process.stderr.write(`${stackName}: cannot load (${e.message}); run scripts/install-deps.sh --interop\n`);
    process.exit(2);
  }
  const version = stack.version();
  console.log(`${stackName}_accepts: ${version}, floe ${bin}`);
  const config = { iceServers: [], iceTransportPolicy: 'all' };
  const pcs = [];
  const newPC = () => { const pc = stack.createPC(config); pcs.push(pc); return pc; };
  let failures = 0;
  const report = (name, ok, detail) => {
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
    if (!ok) failures++;
  };
  const gathered = async (pc) => {
    for (let i = 0; i < 40 && pc.iceGatheringState !== 'complete'; i++) await new Promise((r) => setTimeout(r, 50));
    return pc.localDescription.sdp;
  };
  async function stackOffer() {
    const pc = newPC();
    pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer());
    return { pc, sdp: await gathered(pc) };
  }

  // 1. the stack's offer -> floe's answer -> the stack accepts it
  {
    const { pc, sdp } = await stackOffer();
    console.log(`--- ${stackName} offer\n${sdp}`);
    const ans = floe(bin, ['--answer', '-'], sdp);
    if (!ans.ok) report(`floe answers ${stackName}'s offer`, false, ans.out.trim());
    else {
      report(`floe answers ${stackName}'s offer`, true);
      console.log(`--- floe answer\n${ans.out}`);
      try {
        report(`${stackName} accepts floe's answer`, true, await applyRemote(pc, 'answer', withoutCandidates(ans.out)));
      } catch (e) { report(`${stackName} accepts floe's answer`, false, String(e && e.message || e)); }
    }
  }

  // 2. floe's offer -> the stack's answer -> floe reads it
  {
    let offer;
    if (offerFile) offer = { ok: true, out: crlf(readSdp(offerFile)) };
    else offer = floe(bin, ['--offer']);
    if (!offer.ok) report('floe offers', false, offer.out.trim());
    else {
      console.log(`--- floe offer${offerFile ? ' (' + offerFile + ')' : ''}\n${offer.out}`);
      const pc = newPC();
      let answer = null;
      try {
        await applyRemote(pc, 'offer', withoutCandidates(offer.out));
        await pc.setLocalDescription(await pc.createAnswer());
        answer = await gathered(pc);
        report(`${stackName} answers floe's offer`, true);
      } catch (e) { report(`${stackName} answers floe's offer`, false, String(e && e.message || e)); }
      if (answer) {
        console.log(`--- ${stackName} answer\n${answer}`);
        const r = floe(bin, ['--type', 'answer', '-'], answer);
        report(`floe reads ${stackName}'s answer`, r.ok, r.ok ? '' : r.out.trim());
        if (r.ok) console.log(r.out.trim());
      }
    }
  }

  // 3. a given floe answer -> the stack accepts it as the answer to its own offer
  if (answerTo) {
    const { pc } = await stackOffer();
    const sdp = crlf(readSdp(answerTo));
    try {
      report(`${stackName} accepts ${answerTo}`, true, await applyRemote(pc, 'answer', withoutCandidates(sdp)));
    } catch (e) { report(`${stackName} accepts ${answerTo}`, false, String(e && e.message || e)); }
  }

  for (const pc of pcs) { try { pc.close(); } catch (e) { /* exiting */ } }
  console.log(`${stackName}_accepts: ${failures === 0 ? 'all checks passed' : failures + ' check(s) failed'}`);
  stack.cleanup();
  setTimeout(() => process.exit(failures === 0 ? 0 : 1), 100);
}

module.exports = (stackName) => main(stackName).catch((e) => {
  process.stderr.write(`${stackName}_accepts: ${e && e.stack || e}\n`);
  process.exit(1);
});
