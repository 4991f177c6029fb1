#!/usr/bin/env node
// Does libdatachannel accept floe's offer and answer, and does floe accept libdatachannel's? See README.md here.
//   node tests/interop/sdp/libdatachannel_accepts.js build/release/floe [--offer-file F] [--answer-to F]
require('./node_accepts.js')('libdatachannel');
