// ws_load.js: Node `ws` as a load generator for bench/peers.sh: N connections
// to URL (at most 200 handshakes at once), each sending a 64-byte text message
// every second once open and counting the echoes; prints RESULT lines after SECS s.
const { WebSocket } = require('ws');
const env = process.env, N = +(env.N || 2000), SECS = +(env.SECS || 25), URL = env.URL;
let open = 0, inflight = 0, started = 0, sent = 0, rx = 0, failed = 0;
const msg = '{"type":"load","source":"node","seq":1,"ts_us":1700000000000000,"p":"xx"}'.padEnd(64, ' ');
const more = () => {
  while (inflight < 200 && started < N) {
    started++; inflight++;
    const ws = new WebSocket(URL, { perMessageDeflate: false });
    ws.on('open', () => { inflight--; open++; setInterval(() => { ws.send(msg); sent++; }, 1000); more(); });
    ws.on('message', () => { rx++; });
    ws.on('error', () => { inflight--; failed++; more(); });
  }
};
more();
setTimeout(() => { console.log(`RESULT open=${open} failed=${failed} sent=${sent} received=${rx}`); process.exit(0); }, SECS * 1000);
