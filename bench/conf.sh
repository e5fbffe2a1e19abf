# shellcheck shell=bash
# The lines of httpd configuration that bench/run.sh and bench/icount.sh
# both write, sourced by both after t/harness/lib.sh.

# bench_credentials [RATE]: the credentials location of every bench httpd:
# Basic sign-in (the user bench), one static role, MCPCredentialsMintRate
# RATE (default off).
bench_credentials() {
    echo '<Location /mcp-credentials>'
    harness_basic_auth bench
    printf '    %s\n' 'SetHandler mcp-credentials' 'MCPCredentials On' \
        "MCPCredentialsMintRate ${1:-off}" 'MCPCredentialsRolesFrom static ROLE_USER'
    echo '</Location>'
}

# bench_oauth BASE STORE SECRET KEY [RATE]: an authorization server at
# BASE (MCPOAuth On) with the store STORE (an MCPCredentialsCache), the
# secret file SECRET and the signing key KEY; the credentials location,
# and /mcp guarded by its access tokens.
bench_oauth() {
    cat <<CONF
MCPCredentialsCache $2
MCPCredentialsSigningKey "$4"
MCPCredentialsPublicURL $1
MCPOAuth On
MCPOAuthSecretFile "$3"

$(bench_credentials "${5:-off}")
<Location /mcp>
$(harness_bearer_auth)
    MCPBearerResource $1/mcp
</Location>
CONF
}
