// The same code raced at node A and node B: both token requests arrive at
// the same instant (each node holds the whole request but its last byte,
// then both last bytes go out together), 30 times.  Exactly one node
// redeems it; the other answers 400 invalid_grant, and since a code
// redeemed twice ends the grant the first redemption made, the winner's
// refresh token is refused afterwards at either node.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { refresh } from '../e2e/oauth.mjs';
import { NODES, brief, errorOf, tokensOf, newClient, approve, together, tokenSpec } from './lib.mjs';

const { A, B } = NODES;
const RACES = Number(process.env.FARM_RACES ?? 30);
let client;
// One record per race: { answers: [A's, B's], winner, refreshAfter }.
const races = [];

before(async () => {
    client = await newClient('race');
});

const describeRace = (r) => `race ${r.n}: A ${brief(r.answers[0])}, B ${brief(r.answers[1])}`;

test(`the same code at A and B at once, ${RACES} times: exactly one 200 and one 400 invalid_grant each time`, async (t) => {
    for (let i = 0; i < RACES; i++) {
        // The consent page at one node or the other, in turn.
        const grant = await approve(client, { pageAt: i % 2 ? A : B });
        const params = {
            grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirect,
            code_verifier: grant.verifier, client_id: client, resource: grant.resource,
        };
        // Whose last byte goes out first alternates too.
        const specs = [tokenSpec(A, params), tokenSpec(B, params)];
        const answers = i % 2 ? await together(specs) : (await together(specs.reverse())).reverse();
        const race = { n: i + 1, answers };
        const winners = answers.filter((a) => a.status === 200);
        if (winners.length === 1) {
            const w = answers.indexOf(winners[0]);
            race.winner = w === 0 ? 'A' : 'B';
            race.tokens = await tokensOf(winners[0], `the winner of race ${i + 1}`);
            // The winner's grant, after the loser's attempt: at the other node.
            race.refreshAfter = await refresh(race.tokens.refresh_token, client, {}, { base: w === 0 ? B : A });
        }
        races.push(race);
    }
    const bad = races.filter((r) => {
        const statuses = r.answers.map((a) => a.status).sort();
        return !(statuses[0] === 200 && statuses[1] === 400 &&
            r.answers.some((a) => a.status === 400 && errorOf(a) === 'invalid_grant'));
    });
    const wins = { A: races.filter((r) => r.winner === 'A').length, B: races.filter((r) => r.winner === 'B').length };
    t.diagnostic(`won once at A ${wins.A} times, at B ${wins.B} times; ${bad.length} other outcomes`);
    assert.equal(bad.length, 0,
        `${bad.length} of ${RACES} races not won exactly once (A won ${wins.A}, B ${wins.B}):\n` +
        bad.map(describeRace).join('\n'));
});

test('after each race the grant of the winning redemption has ended: its refresh token is refused at the other node', () => {
    assert.equal(races.length, RACES, 'the races ran');
    const decided = races.filter((r) => r.refreshAfter);
    assert.ok(decided.length > 0, 'at least one race had exactly one winner');
    const alive = decided.filter((r) =>
        !(r.refreshAfter.status === 400 && errorOf(r.refreshAfter) === 'invalid_grant'));
    assert.equal(alive.length, 0,
        `${alive.length} of ${decided.length} won grants still refreshed after the second redemption:\n` +
        alive.map((r) => `race ${r.n} (won at ${r.winner}): refresh ${brief(r.refreshAfter)}`).join('\n'));
});
