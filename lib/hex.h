/*
 * One hexadecimal digit's value, for the percent-decoders of the units.
 */
#ifndef MCP_HEX_H
#define MCP_HEX_H

/* 0-15, or -1 when c is not a hexadecimal digit. */
static inline int mcp_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif /* MCP_HEX_H */
