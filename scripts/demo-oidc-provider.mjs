// The demo's OpenID Provider: the npm `oidc-provider` package (a certified
// implementation) with the demo users, a `groups` claim and one client,
// httpd's mod_auth_openidc.  It listens on 127.0.0.1 and names itself
// http://localhost:<port>: the browser sees the provider and httpd
// (127.0.0.1) as two sites, as it would a real provider.
//
//   OIDC_PORT=...  OIDC_CLIENT_ID=...  OIDC_CLIENT_SECRET=...
//   OIDC_REDIRECT_URI=http://127.0.0.1:9090/mcp-credentials/oidc-callback
//   OIDC_COOKIE_SECRET=...   node scripts/demo-oidc-provider.mjs
// prints "listening <port>" once it accepts connections.
//
// The login form checks the demo passwords; consent is given on the user's
// behalf (the client is the operator's own, as in a company's provider).
// Everything is kept in memory: a restart signs everyone out.

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

function need(name) {
    const v = process.env[name];
    if (!v) {
        console.error(`demo-oidc-provider: set ${name}`);
        process.exit(2);
    }
    return v;
}

const port = Number(need('OIDC_PORT'));
const issuer = `http://localhost:${port}`;

// alice and bob hold groups; carol holds none (her token carries no roles).
const USERS = {
    alice: { password: 'alice', name: 'Alice Analyst', groups: ['users', 'admins'] },
    bob: { password: 'bob', name: 'Bob Builder', groups: ['users'] },
    carol: { password: 'carol', name: 'Carol Contractor' },
};

function account(id) {
    const u = Object.hasOwn(USERS, id) ? USERS[id] : null;
    if (!u)
        return undefined;
    return {
        accountId: id,
        async claims() {
            const claims = {
                sub: id,
                name: u.name,
                preferred_username: id,
                email: `${id}@example.com`,
                email_verified: true,
            };
            if (u.groups)
                claims.groups = u.groups;
            return claims;
        },
    };
}

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
    clients: [{
        client_id: need('OIDC_CLIENT_ID'),
        client_secret: need('OIDC_CLIENT_SECRET'),
        redirect_uris: [need('OIDC_REDIRECT_URI')],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
    }],
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email', 'email_verified'],
        groups: ['groups'],
    },
    findAccount: (ctx, id) => account(id),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: [need('OIDC_COOKIE_SECRET')] },
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256', kid: 'demo' }] },
    ttl: { Session: 8 * 3600, Interaction: 600, Grant: 8 * 3600 },
});

const escapeHtml = (s) => String(s).replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function loginPage(res, uid, { error = '', login = '' } = {}) {
    res.writeHead(error ? 401 : 200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
    });
    res.end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Demo identity provider: sign in</title>
<style>body{font:16px system-ui,sans-serif;max-width:26em;margin:3em auto;padding:0 1em}
label{display:block;margin:.8em 0 .2em}input{font:inherit;padding:.3em;width:100%}
button{font:inherit;margin-top:1em;padding:.4em 1.2em}.error{color:#b00020}.hint{color:#555}</style>
</head><body>
<h1>Demo identity provider</h1>
<p class="hint">alice / alice (groups users, admins), bob / bob (users), carol / carol (no groups)</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">User name</label><input id="login" name="login" autocomplete="username" value="${escapeHtml(login)}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<p class="error" role="alert">${escapeHtml(error)}</p>
<button type="submit" id="sign-in">Sign in</button>
</form></body></html>`);
}

async function readForm(req) {
    let body = '';
    for await (const chunk of req) {
        body += chunk;
        if (body.length > 4096)
            throw new Error('form too large');
    }
    return new URLSearchParams(body);
}

function samePassword(given, expected) {
    const a = crypto.createHash('sha256').update(String(given)).digest();
    const b = crypto.createHash('sha256').update(expected).digest();
    return crypto.timingSafeEqual(a, b);
}

// /interaction/<uid> (GET: the login form, or consent given at once) and
// /interaction/<uid>/login (POST: the form).
async function interaction(req, res, path) {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params, session, grantId } = details;

    if (req.method === 'POST' && path === `/interaction/${uid}/login`) {
        const form = await readForm(req);
        const login = form.get('login') ?? '';
        const user = Object.hasOwn(USERS, login) ? USERS[login] : null;
        if (!user || !samePassword(form.get('password') ?? '', user.password)) {
            loginPage(res, uid, { error: 'Wrong user name or password.', login });
            return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } },
            { mergeWithLastSubmission: false });
        return;
    }

    if (req.method === 'GET' && path === `/interaction/${uid}`) {
        if (prompt.name === 'login') {
            loginPage(res, uid);
            return;
        }
        if (prompt.name === 'consent') {
            const grant = grantId ? await provider.Grant.find(grantId)
                : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
            const missing = prompt.details;
            if (missing.missingOIDCScope)
                grant.addOIDCScope(missing.missingOIDCScope.join(' '));
            if (missing.missingOIDCClaims)
                grant.addOIDCClaims(missing.missingOIDCClaims);
            for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
                grant.addResourceScope(indicator, scopes.join(' '));
            await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
                { mergeWithLastSubmission: true });
            return;
        }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
    const path = new URL(req.url, issuer).pathname;
    if (!path.startsWith('/interaction/')) {
        callback(req, res);
        return;
    }
    interaction(req, res, path).catch((err) => {
        console.error('demo-oidc-provider:', err.message);
        if (!res.headersSent) {
            res.writeHead(400, { 'content-type': 'text/plain' });
            res.end(`The sign-in could not go on (${err.message}). Go back to the page and try again.`);
        } else {
            res.end();
        }
    });
});

server.listen(port, '127.0.0.1', () => {
    console.log(`listening ${port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        server.closeAllConnections?.();
        server.close(() => process.exit(0));
        setTimeout(() => process.exit(0), 500).unref();
    });
}
