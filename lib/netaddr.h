/*
 * Whether an address belongs to a private network: where the module may
 * send its shared state (MCPCredentialsCache redis:/memcache:) without
 * the operator saying otherwise, since APR-util's Redis and memcache
 * clients speak neither TLS nor AUTH.  No httpd header.
 */
#ifndef MCP_NETADDR_H
#define MCP_NETADDR_H

#include <stddef.h>

/* 1 when the address (4 bytes IPv4 or 16 bytes IPv6, network order) is
 * loopback, RFC 1918 private, shared (RFC 6598), link-local, or an IPv6
 * unique local or link-local one (an IPv4-mapped IPv6 address is judged
 * as its IPv4 address); 0 otherwise, and for any other length. */
int mcp_addr_is_private(const unsigned char *addr, size_t len);

#endif /* MCP_NETADDR_H */
