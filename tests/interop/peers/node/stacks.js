// The WebRTC stacks that run in Node, each behind the same small adapter, so that the
// interop kit's peer logic (../shared/interop/peers/common/core.js, written against the W3C
// RTCPeerConnection API) drives them unchanged. An adapter holds only what a stack does
// differently from the W3C API (its quirks are listed next to it).
//
//   load(log)          -> loads the stack (throws when it is not installed)
//   version()          -> e.g. "werift 0.25.2"
//   createPC(config)   -> RTCPeerConnection for a W3C RTCConfiguration
//   toSend(u8)         -> what its RTCDataChannel.send() takes for binary data
//   selectedPair(pc)   -> Promise<string|null> "local A:P typ T udp <-> remote A:P typ T udp"
//   cleanup()          -> called once before the process exits
'use strict';
const fs = require('fs');
const path = require('path');

// package.json of an installed package: werift's "exports" map hides it from require().
function pkgVersion(name) {
  for (const dir of (process.env.NODE_PATH || '').split(path.delimiter).concat(module.paths)) {
    if (!dir) continue;
    try { return JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8')).version; } catch (e) { /* next */ }
  }
  return '?';
}

// "local 198.18.0.1:5000 typ host udp <-> remote ..." from two {address, port, type, protocol}
function describePair(l, r) {
  const d = (c) => `${c.address}:${c.port} typ ${c.type} ${c.protocol || 'udp'}`
    + (c.relayProtocol ? ` relay-proto ${c.relayProtocol}` : '');
  return `local ${d(l)} <-> remote ${d(r)}`;
}

// werift (pure TypeScript: its own ICE, DTLS, SCTP). Quirks:
//  * the default configuration has iceServers [stun:stun.l.google.com:19302]: always pass the
//    list (empty without --ice-server flags), or it would try to reach the internet;
//  * RTCDataChannel.send() takes a Buffer or a string (a Uint8Array is copied with
//    Buffer.from); received binary messages are Buffers (binaryType is ignored);
//  * "bufferedamountlow" is only an EventEmitter event, there is no onbufferedamountlow
//    handler property: the adapter forwards the event to it;
//  * getStats() has no selected pair that core.js finds: the ICE connection's nominated pair
//    is read instead;
//  * it reports why a transport failed (e.g. DTLS "need srtpProfile") only through the `debug`
//    package: unless DEBUG is set, the peer-connection namespace is turned on (stderr).
const werift = {
  name: 'werift',
  load() {
    if (process.env.DEBUG === undefined) process.env.DEBUG = 'werift:packages/webrtc/src/peerConnection.ts';
    this.w = require('werift');
  },
  version() { return 'werift ' + pkgVersion('werift'); },
  createPC(config) {
    const pc = new this.w.RTCPeerConnection({
      iceServers: config.iceServers, iceTransportPolicy: config.iceTransportPolicy,
    });
    const fix = (dc) => {
      dc.on('bufferedamountlow', () => { if (typeof dc.onbufferedamountlow === 'function') dc.onbufferedamountlow(); });
      return dc;
    };
    const create = pc.createDataChannel.bind(pc);
    pc.createDataChannel = (label, opts) => fix(create(label, opts));
    pc.onDataChannel.subscribe((dc) => fix(dc));
    return pc;
  },
  toSend(u8) { return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); },
  async selectedPair(pc) {
    for (const t of pc.iceTransports || []) {
      const conn = t.connection;
      const p = conn && (conn.nominated || conn.selectedPair);
      if (!p) continue;
      const c = (x) => ({ address: x.host, port: x.port, type: x.type, protocol: (x.transport || 'udp').toLowerCase() });
      return describePair(c(p.localCandidate), c(p.remoteCandidate));
    }
    return null;
  },
  cleanup() {},
};

// libdatachannel (C++: libjuice ICE, OpenSSL DTLS, usrsctp) through node-datachannel's W3C
// polyfill. Quirks:
//  * the native library logs through initLogger(); its lines go to our log (stderr), never
//    to stdout (which carries only the RESULT line);
//  * its threads keep the process alive: cleanup() must be called before exiting;
//  * icecandidate events carry the candidate as an SDP line, "a=candidate:..." (W3C and
//    RFC 8839 §5.1: "candidate:..."): the adapter strips the "a=" so that the trickle file has
//    the contract's form (floe's candidate parser takes both); their sdpMLineIndex is null: the only m= section's index, 0, is set;
//  * getStats() has the selected pair but no candidate protocol (libjuice: UDP only);
//  * with iceTransportPolicy "relay" libjuice gathers only the relayed candidate but may still
//    answer and send checks from its host socket (it shares the socket with its TURN client):
//    relay-only runs can end with a host pair (seen against wrtc).
const libdatachannel = {
  name: 'libdatachannel',
  load(log) {
    this.ndc = require('node-datachannel');
    this.poly = require('node-datachannel/polyfill');
    // FLOE_IOP_NDC_LOG=Debug|Verbose for DTLS/SCTP details
    this.ndc.initLogger(process.env.FLOE_IOP_NDC_LOG || 'Info', (level, msg) => log('libdatachannel ' + level + ': ' + msg));
  },
  version() {
    let lib = '?';
    try { lib = this.ndc.getLibraryVersion(); } catch (e) { /* older bindings */ }
    return 'libdatachannel ' + lib + ' (node-datachannel ' + pkgVersion('node-datachannel') + ')';
  },
  createPC(config) {
    const pc = new this.poly.RTCPeerConnection(config);
    let handler = null;
    const strip = (ev) => {
      const c = ev && ev.candidate;
      if (!c || typeof c.candidate !== 'string') return ev;
      const line = c.candidate.startsWith('a=') ? c.candidate.slice(2) : c.candidate;
      return { candidate: { candidate: line, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex ?? 0 } };
    };
    Object.defineProperty(pc, 'onicecandidate', {
      get: () => handler,
      set: (f) => { handler = typeof f === 'function' ? (ev) => f(strip(ev)) : null; },
    });
    return pc;
  },
  toSend(u8) { return u8; },
  async selectedPair(pc) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated) pair = s; });
    if (!pair) return null;
    const c = (s) => ({ address: s.ip || s.address, port: s.port, type: s.candidateType, protocol: 'udp' });
    return describePair(c(stats.get(pair.localCandidateId)), c(stats.get(pair.remoteCandidateId)));
  },
  cleanup() { try { this.ndc.cleanup(); } catch (e) { /* exiting anyway */ } },
};

// libwebrtc (Chromium's WebRTC, usrsctp or dcSCTP, BoringSSL) through @roamhq/wrtc's
// prebuilt binary: the W3C API as in a browser, no quirks to adapt.
const wrtc = {
  name: 'wrtc',
  load() { this.w = require('@roamhq/wrtc'); },
  version() { return '@roamhq/wrtc ' + pkgVersion('@roamhq/wrtc'); },
  createPC(config) { return new this.w.RTCPeerConnection(config); },
  toSend(u8) { return u8; },
  async selectedPair(pc) { return this.statsSelectedPair(pc); },
  cleanup() {},
};

module.exports = { werift, libdatachannel, wrtc };
