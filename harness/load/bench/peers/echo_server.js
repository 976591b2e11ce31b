// echo_server.js: the common target of bench/peers.sh: a Node `ws` server on
// 127.0.0.1:PORT that echoes every message (apt node-ws; NODE_PATH=/usr/share/nodejs).
// Prints "listening on port N". Exits by itself after LIMIT (300) s.
const { WebSocketServer } = require('ws');
const PORT = +(process.env.PORT || 0), LIMIT = +(process.env.LIMIT || 300);
const wss = new WebSocketServer({ host: '127.0.0.1', port: PORT, perMessageDeflate: false, backlog: 4096 });
wss.on('connection', (ws) => { ws.on('message', (m, bin) => ws.send(m, { binary: bin })); ws.on('error', () => {}); });
wss.on('listening', () => console.log(`listening on port ${wss.address().port}`));
setTimeout(() => process.exit(0), LIMIT * 1000).unref();
