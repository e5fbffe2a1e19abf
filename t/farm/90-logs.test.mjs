// After everything: the logs of both nodes and of the balancer hold no
// code, verifier, refresh token or access token handed out in the tests
// (the e2e helpers and lib.mjs remember each), and no node's child
// crashed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { remembered } from '../e2e/oauth.mjs';
import { NODE_DIRS, farm } from './lib.mjs';

const LOGS = [
    ...['A', 'B'].flatMap((n) => [[`node ${n}'s error log`, path.join(NODE_DIRS[n], 'error_log')],
        [`node ${n}'s access log`, path.join(NODE_DIRS[n], 'access_log')]]),
    ['the balancer\'s error log', path.join(farm.balancerDir, 'error_log')],
    ['the balancer\'s access log', path.join(farm.balancerDir, 'access_log')],
];

test('no code, verifier, refresh token or access token in any log of the farm', () => {
    const secrets = remembered();
    assert.ok(secrets.length > 100, `secrets handed out: ${secrets.length}`);
    for (const [name, file] of LOGS) {
        const log = fs.readFileSync(file, 'utf8');
        const found = secrets.filter((s) => log.includes(s) || (s.startsWith('eyJ') && log.includes(s.split('.')[1])));
        assert.equal(found.length, 0, `${name} holds ${found.length} secrets`);
    }
});

test('no child of either node crashed', () => {
    for (const n of ['A', 'B']) {
        const crashes = fs.readFileSync(path.join(NODE_DIRS[n], 'error_log'), 'utf8').split('\n')
            .filter((l) => /exit signal|AH00052|AH00060/.test(l));
        assert.deepEqual(crashes, [], `node ${n}'s error log`);
    }
});
