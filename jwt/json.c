/*
 * JSON around cJSON: the checks it does not make and a verifier needs, and
 * printing into memory the caller frees with free().
 *
 * cJSON keeps every member of an object, duplicates included, and its
 * lookups return the first: another parser (a backend, an audit tool) may
 * take the last, so one token would say two things.  It ends strings at an
 * escaped NUL without telling, so "ad\u0000min" would read as "ad".  And
 * its valueint saturates at INT_MAX, which would turn every date after
 * January 2038 into one in 2038.
 */
#include <stdlib.h>
#include <string.h>

#include "jwt_internal.h"

/* Objects this small are compared pairwise; larger ones are sorted, so that
 * an object with thousands of members costs n log n, not n squared. */
#define PAIRWISE_MAX_MEMBERS 16

static int names_repeat_pairwise(const cJSON *object)
{
    for (const cJSON *a = object->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int names_repeat(const cJSON *object)
{
    size_t count = 0, n = 0;
    const char **names;
    int repeated = 0;

    for (const cJSON *c = object->child; c; c = c->next)
        count++;
    if (count <= PAIRWISE_MAX_MEMBERS)
        return names_repeat_pairwise(object);
    names = malloc(count * sizeof(*names));
    if (!names)
        return names_repeat_pairwise(object);
    for (const cJSON *c = object->child; c; c = c->next)
        if (c->string)
            names[n++] = c->string;
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 1; i < n && !repeated; i++)
        repeated = strcmp(names[i - 1], names[i]) == 0;
    free(names);
    return repeated;
}

int mcp_json_has_duplicate_members(const cJSON *item)
{
    if (!item)
        return 0;
    if (cJSON_IsObject(item) && names_repeat(item))
        return 1;
    /* cJSON refuses to parse deeper than CJSON_NESTING_LIMIT levels, which
     * bounds this recursion for parsed trees. */
    for (const cJSON *c = item->child; c; c = c->next)
        if (mcp_json_has_duplicate_members(c))
            return 1;
    return 0;
}

int mcp_json_text_has_escaped_nul(const char *text, size_t len)
{
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        /* A raw NUL ends cJSON's input early, even with a length given. */
        if (c == '\0')
            return 1;
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        if (c == '"') {
            in_string = 0;
        } else if (c == '\\') {
            if (i + 5 < len && text[i + 1] == 'u' &&
                memcmp(text + i + 2, "0000", 4) == 0)
                return 1;
            /* Skip the escaped character, so that in "\\u0000" the second
             * backslash is not taken for the start of an escape. */
            i++;
        }
    }
    return 0;
}

int mcp_json_get_int64(const cJSON *item, int64_t *out)
{
    /* -2^63 and 2^63 are exact doubles; written this way the test also
     * rejects NaN and the infinities ("1e309" parses as +inf). */
    const double lowest = -9223372036854775808.0;
    const double beyond_highest = 9223372036854775808.0;
    double d;
    int64_t truncated;

    if (!cJSON_IsNumber(item))
        return -1;
    d = item->valuedouble;
    if (!(d >= lowest && d < beyond_highest))
        return -1;
    truncated = (int64_t)d;
    if ((double)truncated != d)
        return -1;
    *out = truncated;
    return 0;
}

char *mcp_json_print_malloc(const cJSON *item)
{
    char *printed = cJSON_PrintUnformatted(item);
    char *copy;
    size_t len;

    if (!printed)
        return NULL;
    /* cJSON allocates through hooks that any code in the process may
     * replace; the callers of this unit are promised free(). */
    len = strlen(printed);
    copy = malloc(len + 1);
    if (copy)
        memcpy(copy, printed, len + 1);
    cJSON_free(printed);
    return copy;
}
