"""Interop check: a WebSocket client nobody here wrote (Python's `websockets`,
Debian python3-websockets) drives wsb-dashboard following only DESIGN.md and
schemas/: refused with 401 and 403, welcome, publish with cumulative ack, a
schema error frame, type-filtered subscribe with relay_us, resume without gap
or repeat. Run by mock_server/tests/interop.sh (make test).
Usage: interop_websockets.py PORT PUBLISHER_TOKEN SUBSCRIBER_TOKEN BAD_TOKEN"""
import asyncio, json, sys, time, websockets
port, pub, sub, bad = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
base = f"ws://127.0.0.1:{port}"
def env(seq, price=100.5):
    return json.dumps({"v":1,"type":"market_data","source":"py-bot","seq":seq,"ts_us":int(time.time()*1e6),
        "data":{"symbol":"BTC-USD","price":price,"bid":100.0,"ask":101.0,"volume":1.0}})
async def main():
    # refused: bad token -> 401, wrong role -> 403
    for tok, want in ((bad, 401), (sub, 403)):
        try:
            async with websockets.connect(base + "/ws", extra_headers={"Authorization": "Bearer " + tok}):
                print("FAIL: accepted", want); return 1
        except websockets.exceptions.InvalidStatusCode as e:
            print("refused with", e.status_code, "expected", want); assert e.status_code == want
    async with websockets.connect(base + "/ws", extra_headers={"Authorization": "Bearer " + pub}) as p, \
               websockets.connect(base + "/ws/stream?token=" + sub) as s:
        w = json.loads(await asyncio.wait_for(p.recv(), 5)); print("welcome", w)
        assert w["type"] == "welcome"
        last = w["last_seq"]
        # "from" makes the order of subscribe and publish irrelevant: no sleep
        await s.send(json.dumps({"type": "subscribe", "types": ["market_data"], "from": {"py-bot": last}}))
        for i in range(1, 6):
            await p.send(env(last + i))
        await p.send(env(last + 6, price=-1))   # schema violation
        acks, errs = [], []
        while len(errs) < 1 or not acks or acks[-1] < last + 5:
            m = json.loads(await asyncio.wait_for(p.recv(), 5))
            (acks if m["type"] == "ack" else errs).append(m["seq"] if m["type"] == "ack" else m)
        print("acks", acks, "errors", errs)
        got = []
        while len(got) < 5:
            m = json.loads(await asyncio.wait_for(s.recv(), 5)); got.append(m["seq"]); assert "relay_us" in m
        print("subscriber got", got)
        assert got == list(range(last + 1, last + 6))
        try:
            extra = await asyncio.wait_for(s.recv(), 0.5); print("FAIL: extra", extra); return 1
        except asyncio.TimeoutError:
            pass
    async with websockets.connect(base + "/ws/stream", extra_headers={"Authorization": "Bearer " + sub}) as r:
        await r.send(json.dumps({"type": "resume", "from": {"py-bot": last + 2}}))
        got = [json.loads(await asyncio.wait_for(r.recv(), 5))["seq"] for _ in range(3)]
        print("resumed", got); assert got == [last + 3, last + 4, last + 5]
    print("INTEROP OK"); return 0
sys.exit(asyncio.run(main()))
