"""PyJWT side of t/interop/run.sh.  Run with Debian's /usr/bin/python3, the
only interpreter that sees the python3-jwt package.

  decode PUBLIC.pem TOKENFILE            verify RS512, print {"header","claims"}
  decode-jwks set|from_jwk JWKS TOKENFILE    the same with a key from a JWK Set
  sign PRIVATE.pem CLAIMS_JSON [KID]     print an RS512 token
  sign-hs512 SECRETFILE CLAIMS_JSON KID  print an HS512 token keyed with the
                                         file's bytes (the alg-confusion attack)
  check JSONFILE EXPR                    exit 0 when EXPR is True, with h and c
                                         bound to the header and claims
"""
import base64
import hashlib
import hmac
import json
import re
import sys
import time

import jwt
from jwt.algorithms import RSAAlgorithm

# Every claim mcp-token mints; a token missing one must not pass for good.
REQUIRED = ["exp", "iat", "nbf", "sub", "iss", "jti"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def token_from(path):
    return read(path).decode("ascii").strip()


def decoded(token, key):
    full = jwt.PyJWT().decode_complete(token, key, algorithms=["RS512"],
                               options={"require": REQUIRED})
    return {"header": full["header"], "claims": full["payload"]}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def main(argv):
    cmd = argv[1]
    if cmd == "decode":
        out = decoded(token_from(argv[3]), read(argv[2]))
    elif cmd == "decode-jwks":
        mode, jwks_text, token = argv[2], read(argv[3]), token_from(argv[4])
        kid = jwt.get_unverified_header(token)["kid"]
        if mode == "set":
            jwk = next(k for k in jwt.PyJWKSet.from_json(jwks_text).keys
                       if k.key_id == kid)
            key = jwk.key
        else:
            jwk = next(k for k in json.loads(jwks_text)["keys"]
                       if k["kid"] == kid)
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        out = decoded(token, key)
    elif cmd == "sign":
        headers = {"kid": argv[4]} if len(argv) > 4 else None
        print(jwt.encode(json.loads(argv[3]), read(argv[2]),
                         algorithm="RS512", headers=headers))
        return 0
    elif cmd == "sign-hs512":
        secret, claims, kid = read(argv[2]), json.loads(argv[3]), argv[4]
        try:
            print(jwt.encode(claims, secret, algorithm="HS512",
                             headers={"kid": kid}))
            return 0
        except jwt.exceptions.InvalidKeyError as e:
            # PyJWT guards its own users against this attack; an attacker
            # simply computes the MAC.
            print("# PyJWT refused (%s): built by hand" % e, file=sys.stderr)
        header = {"alg": "HS512", "typ": "JWT", "kid": kid}
        signing_input = "%s.%s" % (
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(json.dumps(claims, separators=(",", ":")).encode()))
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha512)
        print("%s.%s" % (signing_input, b64url(mac.digest())))
        return 0
    elif cmd == "check":
        with open(argv[2]) as f:
            doc = json.load(f)
        env = {"h": doc.get("header"), "c": doc.get("claims"),
               "now": int(time.time()), "re": re}
        expr = "(%s)" % argv[3]  # the expression may span lines
        if eval(expr, {"__builtins__": __builtins__}, env) is True:
            return 0
        print("check failed: %s\non: %s" % (argv[3], json.dumps(doc)),
              file=sys.stderr)
        return 1
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
