#!/usr/bin/python3
"""The client side of the authorization server's benchmark (bench/run.sh).

    oauth_client.py --base URL --auth HEADER COMMAND ...

    register --out FILE
        registers one public client (authorization_code, refresh_token);
        its client_id goes to FILE.
    codes --client FILE --count N [--conc C] --out FILE
        N approved codes, each from the consent page and its form as a
        browser sends them (GET then POST <base>/oauth/authorize, Basic
        sign-in), one "code verifier" line each.
    redeem --client FILE --codes FILE [--conc C] [--refresh-out FILE]
           [--access-out FILE]
        redeems every code at <base>/oauth/token on C connections; with
        --refresh-out, the refresh tokens the answers carry go there, with
        --access-out their access tokens (one a line).
    refresh --client FILE --chains FILE [--conc C] --seconds S
        C chains of refreshes for S seconds, each answer's refresh token
        used for the next request of its chain; FILE (one refresh token a
        line, at least C) is rewritten with the chains' latest tokens.
    curl-config --client FILE (--codes FILE | --refresh FILE) --out FILE
        writes the token requests that redeem would send for each code
        (or one refresh for each refresh token, a line each) as a curl
        --config file, one transfer each: bench/icount.sh sends them
        through one connection, at its own pace, under callgrind.

redeem and refresh print one line:
    requests=N rps=R p50_us=P p99_us=Q errors=E
Only the standard library; one keep-alive connection per thread.  The
caller measures httpd's CPU around redeem and refresh, never around codes.
"""

import argparse
import base64
import hashlib
import html
import http.client
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

REDIRECT_REGISTERED = "http://127.0.0.1/cb"
# Loopback redirects are matched without their port (RFC 8252 7.3).
REDIRECT = "http://127.0.0.1:5555/cb"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ROLE = re.compile(r'name="authorities" id="[^"]*" value="([^"]*)" checked')


class Conn:
    """One keep-alive connection to the server, reopened when it closes."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=30)
            try:
                self.conn.request(method, path, body=body,
                                  headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.HTTPException, ConnectionError):
                # A keep-alive connection the server closed: once more.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return resp.status, resp.getheader("Location"), data
        raise AssertionError("unreachable")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fail(msg):
    sys.stderr.write("oauth_client: %s\n" % msg)
    sys.exit(1)


def run_threads(n, target):
    """target(i) in n threads; the first exception ends the program."""
    errors = []

    def wrap(i):
        try:
            target(i)
        except Exception as e:  # reported below, with the others joined
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        fail(str(errors[0]))


def form(pairs):
    return urllib.parse.urlencode(pairs)


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def read_client(path):
    with open(path) as f:
        return f.read().strip()


def cmd_register(args):
    body = json.dumps({"redirect_uris": [REDIRECT_REGISTERED],
                       "grant_types": ["authorization_code", "refresh_token"],
                       "client_name": "bench"})
    status, _, data = Conn(args.base).request(
        "POST", args.path + "/oauth/register", body,
        {"Content-Type": "application/json"})
    if status != 201:
        fail("register: HTTP %d: %s" % (status, data[:300]))
    with open(args.out, "w") as f:
        f.write(json.loads(data)["client_id"] + "\n")


def one_code(conn, args, client_id):
    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    query = form([("response_type", "code"), ("client_id", client_id),
                  ("redirect_uri", REDIRECT), ("code_challenge", challenge),
                  ("code_challenge_method", "S256"), ("state", "s"),
                  ("resource", args.resource)])
    auth = {"Authorization": args.auth}
    status, _, page = conn.request("GET", args.path + "/oauth/authorize?" +
                                   query, headers=auth)
    if status != 200:
        raise RuntimeError("consent page: HTTP %d: %s" % (status, page[:300]))
    page = page.decode()
    m = CSRF.search(page)
    if not m:
        raise RuntimeError("consent page without its form")
    pairs = [("csrf", html.unescape(m.group(1)))]
    if 'name="roles_shown"' in page:
        pairs.append(("roles_shown", "1"))
        pairs += [("authorities", html.unescape(r)) for r in ROLE.findall(page)]
    pairs += [("lifetime", "P7D"), ("decision", "approve")]
    status, location, data = conn.request(
        "POST", args.path + "/oauth/authorize", form(pairs),
        dict(auth, **FORM_HEADERS))
    if status != 303 or not location:
        raise RuntimeError("approval: HTTP %d: %s" % (status, data[:300]))
    got = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if "code" not in got:
        raise RuntimeError("approval redirected without a code: %s" % location)
    return got["code"][0], verifier


def cmd_codes(args):
    client_id = read_client(args.client)
    out = [None] * args.count

    def work(i):
        conn = Conn(args.base)
        for k in range(i, args.count, args.conc):
            out[k] = one_code(conn, args, client_id)

    run_threads(min(args.conc, args.count), work)
    with open(args.out, "w") as f:
        for code, verifier in out:
            f.write("%s %s\n" % (code, verifier))


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[k]


def report(latencies, errors, elapsed):
    lat = sorted(latencies)
    print("requests=%d rps=%.2f p50_us=%d p99_us=%d errors=%d" % (
        len(lat), len(lat) / elapsed if elapsed > 0 else 0,
        percentile(lat, 50) * 1e6, percentile(lat, 99) * 1e6, errors))


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = 0
        self.first_error = None

    def add(self, lat, status, data, want=200):
        with self.lock:
            self.latencies.append(lat)
            if status != want:
                self.errors += 1
                if self.first_error is None:
                    self.first_error = "HTTP %d: %s" % (status, data[:300])

    def close(self, elapsed):
        if self.first_error:
            sys.stderr.write("oauth_client: first refusal: %s\n" %
                             self.first_error)
        report(self.latencies, self.errors, elapsed)


def token_request(conn, path, pairs, tally):
    t0 = time.perf_counter()
    status, _, data = conn.request("POST", path, form(pairs), FORM_HEADERS)
    tally.add(time.perf_counter() - t0, status, data)
    if status != 200:
        return None
    return json.loads(data)


def redeem_pairs(client_id, code, verifier):
    return [("grant_type", "authorization_code"), ("code", code),
            ("redirect_uri", REDIRECT), ("code_verifier", verifier),
            ("client_id", client_id)]


def refresh_pairs(client_id, refresh_token):
    return [("grant_type", "refresh_token"), ("refresh_token", refresh_token),
            ("client_id", client_id)]


def cmd_redeem(args):
    client_id = read_client(args.client)
    with open(args.codes) as f:
        codes = [line.split() for line in f if line.strip()]
    refresh = [None] * len(codes)
    access = [None] * len(codes)
    tally = Tally()
    path = args.path + "/oauth/token"
    conns = [Conn(args.base) for _ in range(args.conc)]

    def work(i):
        for k in range(i, len(codes), args.conc):
            code, verifier = codes[k]
            answer = token_request(conns[i], path,
                                   redeem_pairs(client_id, code, verifier),
                                   tally)
            if answer:
                refresh[k] = answer.get("refresh_token")
                access[k] = answer.get("access_token")

    t0 = time.perf_counter()
    run_threads(min(args.conc, len(codes)), work)
    tally.close(time.perf_counter() - t0)
    for path, tokens in ((args.refresh_out, refresh),
                         (args.access_out, access)):
        if path:
            with open(path, "w") as f:
                for token in tokens:
                    if token:
                        f.write(token + "\n")


def cmd_refresh(args):
    client_id = read_client(args.client)
    with open(args.chains) as f:
        chains = [line.strip() for line in f if line.strip()]
    if len(chains) < args.conc:
        fail("refresh: %d chains for %d connections" % (len(chains), args.conc))
    tally = Tally()
    path = args.path + "/oauth/token"
    conns = [Conn(args.base) for _ in range(args.conc)]
    deadline = [0.0]

    def work(i):
        while time.perf_counter() < deadline[0]:
            answer = token_request(conns[i], path,
                                   refresh_pairs(client_id, chains[i]), tally)
            if not answer or not answer.get("refresh_token"):
                return  # the chain is broken: counted as an error
            chains[i] = answer["refresh_token"]

    t0 = time.perf_counter()
    deadline[0] = t0 + args.seconds
    run_threads(args.conc, work)
    tally.close(time.perf_counter() - t0)
    with open(args.chains + ".new", "w") as f:
        for token in chains:
            f.write(token + "\n")
    os.replace(args.chains + ".new", args.chains)


def cmd_curl_config(args):
    client_id = read_client(args.client)
    with open(args.codes or args.refresh) as f:
        lines = [line.split() for line in f if line.strip()]
    url = args.base + args.path + "/oauth/token"
    with open(args.out, "w") as f:
        for i, fields in enumerate(lines):
            if args.codes:
                pairs = redeem_pairs(client_id, fields[0], fields[1])
            else:
                pairs = refresh_pairs(client_id, fields[0])
            # The options of one transfer; "next" ends the one before.
            if i:
                f.write("next\n")
            f.write('url = "%s"\n' % url)
            f.write('header = "Content-Type: application/x-www-form-urlencoded"\n')
            f.write('data-binary = "%s"\n' % form(pairs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True,
                    help="the server's origin, http://127.0.0.1:PORT")
    ap.add_argument("--path", default="/mcp-credentials",
                    help="the credentials location")
    ap.add_argument("--auth", default="", help="Authorization for the sign-in")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("register")
    p.add_argument("--out", required=True)
    p = sub.add_parser("codes")
    p.add_argument("--client", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--conc", type=int, default=4)
    p.add_argument("--out", required=True)
    p = sub.add_parser("redeem")
    p.add_argument("--client", required=True)
    p.add_argument("--codes", required=True)
    p.add_argument("--conc", type=int, default=8)
    p.add_argument("--refresh-out")
    p.add_argument("--access-out")
    p = sub.add_parser("refresh")
    p.add_argument("--client", required=True)
    p.add_argument("--chains", required=True)
    p.add_argument("--conc", type=int, default=8)
    p.add_argument("--seconds", type=float, required=True)
    p = sub.add_parser("curl-config")
    p.add_argument("--client", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--codes")
    which.add_argument("--refresh")
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    args.resource = args.base + "/mcp"
    {"register": cmd_register, "codes": cmd_codes, "redeem": cmd_redeem,
     "refresh": cmd_refresh, "curl-config": cmd_curl_config}[args.cmd](args)


if __name__ == "__main__":
    main()
