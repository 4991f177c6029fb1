#!/usr/bin/env node
// Interop peer for a WebRTC stack that runs in Node (werift, libdatachannel, libwebrtc):
//   node driver.js STACK <driver-contract flags>
// The peer logic is the interop kit's own (peers/common/core.js: channels, modes, payloads,
// signaling protocol; peers/common/node-env.js: flags, file signaling, RESULT line, watchdog),
// loaded from the kit at run time, with the stack's RTCPeerConnection in place of the
// browser's. stacks.js holds each stack's deviations from the W3C API.
// The kit is ../shared/interop next to the repository (FLOE_IOP_KIT overrides it).
'use strict';
const path = require('path');

const KIT = process.env.FLOE_IOP_KIT || path.resolve(__dirname, '../../../../../shared/interop');
let env0, core;
try {
  env0 = require(path.join(KIT, 'peers/common/node-env.js'));
  core = require(path.join(KIT, 'peers/common/core.js'));
} catch (e) {
  process.stderr.write(`node peer: cannot load the interop kit from ${KIT} (${e.message}); set FLOE_IOP_KIT\n`);
  process.exit(2);
}
const stacks = require('./stacks');

const stackName = process.argv[2];
const stack = stacks[stackName];
if (!stack) {
  process.stderr.write(`node peer: unknown stack '${stackName}' (${Object.keys(stacks).join(', ')})\n`);
  process.exit(2);
}
stack.statsSelectedPair = core.statsSelectedPair;

const o = env0.parseArgs(process.argv.slice(3), stackName);
const log = env0.makeLogger(stackName, o.role);
env0.startWatchdog(o, log);

let finished = false;
function finish(r, code) {
  if (finished) return;
  finished = true;
  env0.writeResult(o, r);
  env0.printResult(r);
  stack.cleanup();
  // let stdout drain before exiting (it may be a pipe)
  process.stdout.write('', () => process.exit(code));
  setTimeout(() => process.exit(code), 500).unref();
}

// Contract: exit promptly on SIGTERM (run-pair.sh stops the echo side this way).
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    log('got ' + sig + ', exiting');
    finish({ impl: stackName, role: o.role, mode: o.mode, ok: false, error: 'terminated by ' + sig }, 143);
  });
}
// A stack that throws from one of its own callbacks must not take the process down without a
// RESULT line.
process.on('uncaughtException', (e) => log('uncaught exception: ' + (e && e.stack || e)));
process.on('unhandledRejection', (e) => log('unhandled rejection: ' + (e && e.stack || e)));

(async () => {
  let r;
  let version = '?';
  try {
    stack.load(log);
    version = stack.version();
    const config = env0.rtcConfiguration(o);
    log(`${version} node ${process.version} pid ${process.pid} kit ${KIT}`);
    log('RTCConfiguration: iceServers [' + config.iceServers.map((s) => s.urls).join(' ')
      + '] iceTransportPolicy ' + config.iceTransportPolicy);
    const sig = env0.makeSignal(o.signal);
    const env = {
      createPC: () => stack.createPC(config),
      now: () => performance.now(),
      log,
      writeDesc: (role, obj) => sig.writeDesc(role, obj),
      readDesc: (role, t) => sig.readDesc(role, t),
      appendCandidate: (role, obj) => sig.appendCandidate(role, obj),
      readCandidates: (role, from) => sig.readCandidates(role, from),
      toSend: (u8) => stack.toSend(u8),
      selectedPair: (pc) => stack.selectedPair(pc),
    };
    env0.markReady(o);
    // the deadline counts from process start (module loading included), like the kit's peers
    r = await core.runPeer(env0.coreOptions(o), env);
  } catch (e) {
    log('ERROR: ' + (e && e.stack || e));
    r = { impl: stackName, role: o.role, mode: o.mode, ok: false, error: String(e && e.message || e) };
  }
  r.version = version;
  finish(r, r.ok ? 0 : 1);
})();
