// What the nodes left in the store after the tests before this file
// (codes, consents, grants, counters): every record has an end, none later
// than the longest grant (MCPCredentialsMaxLifetime P90D of docs/farm.md).
// A record without one would live until the store restarts.  Each store
// is read its own way: Redis by SCAN and PTTL, memcached by its LRU
// crawler's metadata dump.

import assert from 'node:assert/strict';
import net from 'node:net';
import { farm, onlyWith } from './lib.mjs';

const LONGEST_S = 91 * 86400;

// Sends `text` to the store and collects the answer until `done(buffer)`.
function talk(text, done, ms = 5000) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        const s = net.connect(Number(farm.storePort), '127.0.0.1', () => s.write(text));
        const timer = setTimeout(() => { s.destroy(); reject(new Error(`the store did not answer within ${ms} ms`)); }, ms);
        s.on('data', (c) => {
            chunks.push(c);
            const all = Buffer.concat(chunks);
            if (done(all)) {
                clearTimeout(timer);
                s.end();
                resolve(all);
            }
        });
        s.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
}

// --- Redis: RESP, just SCAN and PTTL --------------------------------------

const resp = (...args) => `*${args.length}\r\n${args.map((a) => {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    return `$${b.length}\r\n${b.toString('latin1')}\r\n`;
}).join('')}`;

// Parses one reply at `i` of `buf`: [value, next index], or null when
// incomplete.
function parse(buf, i = 0) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0)
        return null;
    const type = String.fromCharCode(buf[i]);
    const line = buf.toString('latin1', i + 1, eol);
    if (type === '+' || type === '-')
        return [type === '-' ? new Error(line) : line, eol + 2];
    if (type === ':')
        return [Number(line), eol + 2];
    if (type === '$') {
        const n = Number(line);
        if (n < 0)
            return [null, eol + 2];
        if (buf.length < eol + 2 + n + 2)
            return null;
        return [buf.subarray(eol + 2, eol + 2 + n), eol + 2 + n + 2];
    }
    if (type === '*') {
        const out = [];
        let j = eol + 2;
        for (let k = 0; k < Number(line); k++) {
            const r = parse(buf, j);
            if (!r)
                return null;
            out.push(r[0]);
            j = r[1];
        }
        return [out, j];
    }
    throw new Error(`unexpected reply type ${type}`);
}

async function redis(...commands) {
    const buf = await talk(commands.map((c) => resp(...c)).join(''), (b) => {
        let i = 0;
        for (let k = 0; k < commands.length; k++) {
            const r = parse(b, i);
            if (!r)
                return false;
            i = r[1];
        }
        return true;
    });
    const out = [];
    let i = 0;
    for (let k = 0; k < commands.length; k++) {
        const [v, next] = parse(buf, i);
        out.push(v);
        i = next;
    }
    return out;
}

onlyWith('redis', 'every record in Redis expires, within the longest grant', async () => {
    const keys = [];
    let cursor = '0';
    do {
        const [[next, batch]] = await redis(['SCAN', cursor, 'COUNT', 1000]);
        cursor = next.toString();
        keys.push(...batch);
    } while (cursor !== '0');
    assert.ok(keys.length >= 10, `records in Redis: ${keys.length}`);
    const ttls = await redis(...keys.map((k) => ['PTTL', k]));
    const forever = ttls.filter((t) => t === -1).length;
    assert.equal(forever, 0, `${forever} of ${keys.length} records without an expiry`);
    const longest = Math.max(...ttls) / 1000;
    assert.ok(longest <= LONGEST_S, `the longest record lives ${Math.round(longest / 86400)} days`);
});

// --- memcached: lru_crawler metadump -------------------------------------------------

onlyWith('memcache', 'every item in memcached expires, within the longest grant', async () => {
    const dump = (await talk('lru_crawler metadump all\r\n', (b) => /(^|\n)(END|ERROR[^\n]*|BUSY[^\n]*)\r\n$/.test(b.toString('latin1'))))
        .toString('latin1');
    assert.doesNotMatch(dump, /^(ERROR|BUSY)/m, `lru_crawler: ${dump.slice(0, 100)}`);
    const items = dump.split('\n').filter((l) => l.startsWith('key=')).map((l) => Object.fromEntries(
        l.trim().split(' ').map((kv) => kv.split('='))));
    assert.ok(items.length >= 10, `items in memcached: ${items.length}`);
    const forever = items.filter((it) => Number(it.exp) === -1 || Number(it.exp) === 0).length;
    assert.equal(forever, 0, `${forever} of ${items.length} items without an expiry`);
    const now = Date.now() / 1000;
    const longest = Math.max(...items.map((it) => Number(it.exp) - now));
    assert.ok(longest <= LONGEST_S, `the longest item lives ${Math.round(longest / 86400)} days`);
});
