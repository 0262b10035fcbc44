// How long a page waits before it tries to reconnect a WebSocket, after `failures` failed tries.
//
// "Full jitter": a random wait between zero and a limit that doubles with every failure (half
// a second, one, two... at most 30 s). When a server restarts, every open page loses its socket
// in the same instant; with a fixed schedule they would all come back in the same instant too,
// again and again. Random waits spread them out, and the doubling limit keeps a server that is
// down for a while from being hammered.
"use strict";

function reconnectDelay(failures) {
  return Math.random() * Math.min(30000, 500 * 2 ** failures);
}
