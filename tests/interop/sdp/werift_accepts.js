#!/usr/bin/env node
// Does werift accept floe's offer and answer, and does floe accept werift's? See README.md here.
//   node tests/interop/sdp/werift_accepts.js build/release/floe [--offer-file F] [--answer-to F]
require('./node_accepts.js')('werift');
