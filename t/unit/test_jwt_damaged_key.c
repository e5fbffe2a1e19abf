/*
 * A private key whose modulus was damaged (one bit flipped, found by the
 * key-loading fuzzer) is refused at load time instead of signing tokens
 * its own public half refuses.
 */
#include "unit.h"

#include <stdlib.h>

#include "jwt.h"

int main(void)
{
    static const char damaged[] =
        "../../fuzz/regressions/key_load/corrupt-modulus-pkcs8.b64";
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN] = "";

    CHECK_INT(mcp_jwt_key_from_file(damaged, &key, err, sizeof(err)), -1);
    CHECK(key == NULL);
    CHECK(strstr(err, "damaged") != NULL);
    CHECK(strstr(err, "do not match") != NULL);
    mcp_jwt_key_free(key);

    /* A sound key still loads. */
    CHECK_INT(mcp_jwt_key_generate(2048, &key, err, sizeof(err)), 0);
    CHECK(key != NULL && mcp_jwt_key_is_private(key));
    mcp_jwt_key_free(key);
    return UNIT_DONE("jwt_damaged_key");
}
