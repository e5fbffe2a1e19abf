/*
 * PKCE (RFC 7636) with the one method OAuth 2.1 and the MCP authorization
 * specification leave: S256.  No httpd header.
 */
#ifndef MCP_PKCE_H
#define MCP_PKCE_H

/* 1 when v is a code verifier: 43 to 128 characters of
 * [A-Za-z0-9-._~]. */
int mcp_pkce_verifier_valid(const char *v);

/* 1 when c can be an S256 code challenge: 43 characters of unpadded
 * base64url. */
int mcp_pkce_challenge_valid(const char *c);

/* 1 when BASE64URL(SHA-256(verifier)) equals challenge, compared in
 * constant time; 0 for anything invalid (or a failing digest). */
int mcp_pkce_s256_matches(const char *verifier, const char *challenge);

#endif /* MCP_PKCE_H */
