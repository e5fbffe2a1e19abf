/*
 * Fuzz inputs that hold two strings: the bytes up to the first NUL, and
 * the rest (empty when there is no NUL).  The copy is the caller's to free.
 */
#ifndef MCP_FUZZ_TWO_STRINGS_H
#define MCP_FUZZ_TWO_STRINGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *two_strings(const uint8_t *data, size_t size, char **second)
{
    char *first = malloc(size + 1);
    size_t n;

    if (!first)
        return NULL;
    memcpy(first, data, size);
    first[size] = '\0';
    n = strlen(first);
    *second = n < size ? first + n + 1 : first + size;
    return first;
}

#endif /* MCP_FUZZ_TWO_STRINGS_H */
