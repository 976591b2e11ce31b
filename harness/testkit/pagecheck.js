#!/usr/bin/env node
// pagecheck: opens a page (a file or a URL) in headless Chromium (Debian's
// /usr/bin/chromium), and fails when the page logs a console error, throws an
// exception, logs a browser error (a blocked or failed request, a CSP
// violation), does not load in time, lacks an expected element, or has a
// chart (svg.chart) that did not render: zero size, or data points announced
// (data-points > 0) but nothing drawn. Saves a full-page PNG screenshot.
//
// It speaks the Chrome DevTools Protocol over a WebSocket with Debian's
// node-ws (no npm, no downloaded browser): chromium --remote-debugging-port=0
// prints its endpoint, we attach to the page target, navigate, wait, check.
// Every wait is bounded (chromium's start 20 s, the page --timeout from its
// navigation on, each protocol call); chromium is always killed and its
// profile removed.
//
// usage: pagecheck.js (--file PATH | --url URL) [--screenshot OUT.png]
//        [--expect SELECTOR[=MIN]]... [--min-charts N] [--wait-for SELECTOR[=MIN]]
//        [--wait-for-js EXPRESSION]
//        [--expect-text SELECTOR=TEXT]... [--timeout SECONDS] [--width PX]
// exit 0: checked and clean; 1: the page failed a check (each problem on a
// line "pagecheck: FAIL: ..."); 2: usage, or chromium could not be driven.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');

function loadWs() {
    // Debian's node-ws lives in /usr/share/nodejs, which node builds that are
    // not Debian's own (NodeSource) leave out of their search path.
    for (const p of ['ws', '/usr/share/nodejs/ws', '/usr/lib/nodejs/ws']) {
        try {
            return require(p);
        } catch (e) {
            /* next */
        }
    }
    die('cannot load the ws module (Debian: apt-get install node-ws)');
}

function die(msg) {
    process.stderr.write(`pagecheck: ${msg}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    const o = { expect: [], expectText: [], minCharts: 0, timeout: 30, width: 1280 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i], v = () => {
            if (i + 1 >= argv.length)
                die(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--file') o.url = 'file://' + path.resolve(v());
        else if (a === '--url') o.url = v();
        else if (a === '--screenshot') o.screenshot = v();
        else if (a === '--expect') o.expect.push(countArg(v()));
        else if (a === '--wait-for') o.waitFor = countArg(v());
        else if (a === '--wait-for-js') o.waitForJs = v();
        else if (a === '--expect-text') {
            const s = v(), k = s.indexOf('=');
            if (k < 1) die('--expect-text wants SELECTOR=TEXT');
            o.expectText.push({ sel: s.slice(0, k), text: s.slice(k + 1) });
        } else if (a === '--min-charts') o.minCharts = +v();
        else if (a === '--timeout') o.timeout = +v();
        else if (a === '--width') o.width = +v();
        else die(`unknown argument ${a} (see the comment atop ${__filename})`);
    }
    if (!o.url) die('--file or --url is required');
    if (!(o.timeout > 0) || !(o.width > 0) || !(o.minCharts >= 0)) die('bad number');
    return o;
}

// "SEL=N" -> {sel, min: N}; "SEL" -> {sel, min: 1}
function countArg(s) {
    const m = /^(.*)=(\d+)$/.exec(s);
    return m ? { sel: m[1], min: +m[2] } : { sel: s, min: 1 };
}

function chromiumPath() {
    for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'])
        if (p && fs.existsSync(p)) return p;
    die('no chromium (Debian: apt-get install chromium; or set CHROMIUM)');
}

// Starts chromium; resolves with {proc, port} once it prints its DevTools endpoint.
function startChromium(profile, deadline) {
    const args = ['--headless=new', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
        '--disable-extensions', '--disable-background-networking', '--disable-sync',
        '--hide-scrollbars', '--mute-audio', '--remote-debugging-port=0',
        '--remote-debugging-address=127.0.0.1', `--user-data-dir=${profile}`, 'about:blank'];
    if (process.getuid && process.getuid() === 0) args.unshift('--no-sandbox');
    const proc = spawn(chromiumPath(), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    return new Promise((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(
            `chromium did not print its DevTools endpoint within the timeout; stderr: ${err.slice(-800)}`)),
            Math.max(deadline - Date.now(), 1));
        proc.stderr.on('data', (d) => {
            err += d.toString();
            const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
            if (m) {
                clearTimeout(timer);
                resolve({ proc, port: +m[1] });
            }
        });
        proc.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`chromium exited (${code}) before it was ready: ${err.slice(-800)}`));
        });
    });
}

function getJson(url, deadline) {
    return new Promise((resolve, reject) => {
        const req = http.get(url, (res) => {
            let b = '';
            res.on('data', (d) => (b += d));
            res.on('end', () => {
                try {
                    resolve(JSON.parse(b));
                } catch (e) {
                    reject(e);
                }
            });
        });
        req.setTimeout(Math.max(deadline - Date.now(), 1), () => req.destroy(new Error(`${url}: timeout`)));
        req.on('error', reject);
    });
}

// A CDP session on one WebSocket: send() returns a promise of the result.
class Cdp {
    constructor(ws) {
        this.ws = ws;
        this.id = 0;
        this.pending = new Map();
        this.handlers = new Map();
        ws.on('message', (data) => {
            const m = JSON.parse(data.toString());
            if (m.id && this.pending.has(m.id)) {
                const { resolve, reject } = this.pending.get(m.id);
                this.pending.delete(m.id);
                if (m.error) reject(new Error(`${m.error.message} (${m.error.code})`));
                else resolve(m.result);
            } else if (m.method && this.handlers.has(m.method)) {
                for (const h of this.handlers.get(m.method)) h(m.params);
            }
        });
    }
    on(method, h) {
        if (!this.handlers.has(method)) this.handlers.set(method, []);
        this.handlers.get(method).push(h);
    }
    send(method, params = {}, deadline) {
        const id = ++this.id;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(new Error(`${method}: no answer within the timeout`));
            }, Math.max((deadline || Date.now() + 10000) - Date.now(), 1));
            this.pending.set(id, {
                resolve: (r) => { clearTimeout(timer); resolve(r); },
                reject: (e) => { clearTimeout(timer); reject(e); },
            });
            this.ws.send(JSON.stringify({ id, method, params }));
        });
    }
}

const CHROMIUM_START_MS = 20000; // chromium prints its DevTools endpoint within this
const CALL_MS = 5000; // one DevTools call of a poll answers within this
const SETUP_MS = 30000; // attaching to the page and enabling the domains

// Long lines (a URL with a token in it, repeated) cut for the log.
const short = (s) => (s.length > 240 ? s.slice(0, 240) + '...' : s);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// What the page says about its charts and the expected elements (runs in the page).
function probeSource(o) {
    return `(() => {
        const out = { charts: [], expect: [], text: [], height: document.documentElement.scrollHeight };
        for (const svg of document.querySelectorAll('svg.chart')) {
            const r = svg.getBoundingClientRect();
            let drawn = 0;
            for (const e of svg.querySelectorAll('path.line, rect.bar, circle.pt, .ev, rect.window')) {
                const b = e.getBoundingClientRect();
                if (b.width > 0 || b.height > 0) drawn++;
            }
            out.charts.push({ id: svg.id, w: r.width, h: r.height,
                points: +(svg.getAttribute('data-points') || 0), drawn });
        }
        for (const e of ${JSON.stringify(o.expect)})
            out.expect.push({ sel: e.sel, min: e.min, n: document.querySelectorAll(e.sel).length });
        for (const e of ${JSON.stringify(o.expectText)}) {
            const n = document.querySelector(e.sel);
            out.text.push({ sel: e.sel, want: e.text, got: n ? n.textContent : null });
        }
        return JSON.stringify(out);
    })()`;
}

async function evaluate(cdp, expr, deadline) {
    const r = await cdp.send('Runtime.evaluate', { expression: expr, returnByValue: true }, deadline);
    if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.text}`);
    return r.result.value;
}

async function check(o, chrome, problems) {
    let deadline = Date.now() + SETUP_MS; // the page's own time starts at navigation
    const targets = await getJson(`http://127.0.0.1:${chrome.port}/json/list`, deadline);
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium has no page target');
    const WebSocket = loadWs();
    const ws = new WebSocket(page.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('DevTools WebSocket did not open in time')),
            Math.max(deadline - Date.now(), 1));
        ws.on('open', () => { clearTimeout(t); resolve(); });
        ws.on('error', (e) => { clearTimeout(t); reject(e); });
    });
    const cdp = new Cdp(ws);
    cdp.on('Runtime.consoleAPICalled', (p) => {
        if (p.type === 'error' || p.type === 'assert')
            problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description ?? a.type).join(' ')}`);
    });
    cdp.on('Runtime.exceptionThrown', (p) => {
        const d = p.exceptionDetails;
        problems.push(`page exception: ${(d.exception && d.exception.description) || d.text}` +
            (d.url ? ` at ${d.url}:${d.lineNumber + 1}` : ''));
    });
    cdp.on('Log.entryAdded', (p) => {
        if (p.entry.level === 'error')
            problems.push(`browser error (${p.entry.source}): ${p.entry.text}${p.entry.url ? ' ' + p.entry.url : ''}`);
    });
    let loaded = false;
    cdp.on('Page.loadEventFired', () => (loaded = true));
    await cdp.send('Runtime.enable', {}, deadline);
    await cdp.send('Log.enable', {}, deadline);
    await cdp.send('Page.enable', {}, deadline);
    await cdp.send('Emulation.setDeviceMetricsOverride',
        { width: o.width, height: 900, deviceScaleFactor: 1, mobile: false }, deadline);
    deadline = Date.now() + o.timeout * 1000;
    const nav = await cdp.send('Page.navigate', { url: o.url }, deadline);
    if (nav.errorText) problems.push(`cannot load ${o.url}: ${nav.errorText}`);
    while (!loaded && Date.now() < deadline) await sleep(50);
    if (!loaded) {
        problems.push(`the page did not finish loading within ${o.timeout} s`);
        return { cdp, ws };
    }
    if (o.waitFor) {
        const expr = `document.querySelectorAll(${JSON.stringify(o.waitFor.sel)}).length`;
        let n = 0;
        // each poll has its own bound: the last one may start just before the deadline
        while (Date.now() < deadline && (n = await evaluate(cdp, expr, Date.now() + CALL_MS)) < o.waitFor.min)
            await sleep(100);
        if (n < o.waitFor.min)
            problems.push(`waited ${o.timeout} s for ${o.waitFor.min} × "${o.waitFor.sel}": found ${n}`);
    }
    if (o.waitForJs) {
        const expr = `Boolean(${o.waitForJs})`;
        let ok = false;
        while (Date.now() < deadline && !(ok = await evaluate(cdp, expr, Date.now() + CALL_MS)))
            await sleep(100);
        if (!ok) problems.push(`waited ${o.timeout} s for ${o.waitForJs}: still false`);
    }
    await sleep(300); // late console errors from the page's own timers
    // the probe and the screenshot have their own bound: a wait that used up
    // the page's time still gets its page inspected and photographed
    deadline = Date.now() + 15000;
    const info = JSON.parse(await evaluate(cdp, probeSource(o), deadline));
    if (info.charts.length < o.minCharts)
        problems.push(`expected at least ${o.minCharts} charts (svg.chart), found ${info.charts.length}`);
    for (const c of info.charts) {
        if (!(c.w > 0 && c.h > 0))
            problems.push(`chart #${c.id} has no size (${c.w}x${c.h})`);
        else if (c.points > 0 && c.drawn === 0)
            problems.push(`chart #${c.id} announces ${c.points} data points but drew nothing`);
    }
    for (const e of info.expect)
        if (e.n < e.min) problems.push(`expected at least ${e.min} × "${e.sel}", found ${e.n}`);
    for (const t of info.text)
        if (t.got === null) problems.push(`no element "${t.sel}" (expected text "${t.want}")`);
        else if (!t.got.includes(t.want))
            problems.push(`"${t.sel}" says "${t.got.trim().slice(0, 120)}", expected "${t.want}"`);
    console.log(`pagecheck: ${short(o.url)}: ${info.charts.length} charts, ` +
        `${info.charts.reduce((a, c) => a + c.drawn, 0)} drawn elements, page height ${info.height}px`);
    if (o.screenshot) {
        const h = Math.min(Math.max(info.height, 300), 20000);
        await cdp.send('Emulation.setDeviceMetricsOverride',
            { width: o.width, height: h, deviceScaleFactor: 1, mobile: false }, deadline);
        await sleep(200);
        const shot = await cdp.send('Page.captureScreenshot', { format: 'png' }, deadline);
        fs.writeFileSync(o.screenshot, Buffer.from(shot.data, 'base64'));
        console.log(`pagecheck: screenshot ${o.screenshot} (${o.width}x${h})`);
    }
    return { cdp, ws };
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pagecheck-'));
    let chrome = null, session = null, rc = 0;
    const problems = [];
    try {
        // chromium's start has its own bound; --timeout is the page's, from navigation on
        chrome = await startChromium(profile, Date.now() + CHROMIUM_START_MS);
        session = await check(o, chrome, problems);
        if (problems.length) {
            for (const p of problems) console.log(`pagecheck: FAIL: ${short(p)}`);
            rc = 1;
        } else {
            console.log(`pagecheck: OK: no console errors, no exceptions, every chart drawn`);
        }
    } catch (e) {
        for (const p of problems) console.log(`pagecheck: FAIL: ${short(p)}`);
        process.stderr.write(`pagecheck: ${e.message}\n`);
        rc = 2;
    } finally {
        if (session) session.ws.terminate();
        if (chrome) {
            try {
                process.kill(-chrome.proc.pid, 'SIGKILL'); // its group: renderers, GPU, zygote
            } catch (e) {
                /* already gone */
            }
        }
        await sleep(100);
        fs.rmSync(profile, { recursive: true, force: true });
    }
    process.exit(rc);
}

main();
