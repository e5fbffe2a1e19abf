# Startup refused: `apache2 -t` on generated configurations fails, with a
# message that names the directive and says what is wrong; good
# configurations pass (PEM keys and Atoti's Base64 DER keys).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time);

use MCPTest qw(config_test key_path t_dir);

my $t = t_dir();
my $k = "$t/keys";
my $KEY = "MCPCredentialsSigningKey $k/signing.pem";
my $on = "<Location /mcp-credentials>\n    SetHandler mcp-credentials\n"
    . "    MCPCredentials On\n%s\n</Location>";
sub loc { sprintf $on, join "\n", map { "    $_" } @_ }

# name, config lines, directive the message must name, what it must say
my @bad = (
    ['On with no key', loc(), qr/MCPCredentialsSigningKey/, qr/MCPCredentials On|no MCPCredentialsSigningKey/],
    ['On in a virtual host without a key', "<VirtualHost 127.0.0.1:1>\n"
        . loc() . "\n</VirtualHost>", qr/MCPCredentialsSigningKey/, qr/MCPCredentials On/],
    ['missing key file', "MCPCredentialsSigningKey $k/nope.pem\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/nope\.pem.*(?:no such|not exist|missing|cannot|not found)|(?:no such|not exist|missing|cannot|not found).*nope\.pem/i],
    ['key path is a directory', "MCPCredentialsSigningKey $k\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/director/i],
    ['EC key', "MCPCredentialsSigningKey $k/ec.pem\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/\bRSA\b|\bEC\b/],
    ['1024-bit key', "MCPCredentialsSigningKey $k/small-1024.pem\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/1024|2048|bits/],
    ['encrypted key', "MCPCredentialsSigningKey $k/encrypted.pem\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/encrypt|passphrase|password/i],
    ['public key as signing key', "MCPCredentialsSigningKey $k/previous.pub.pem\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/public/i],
    ['a file that holds no key', "MCPCredentialsSigningKey $t/conf/groups\n" . loc(),
        qr/MCPCredentialsSigningKey/, qr/key|PEM|Base64|DER/i],
    ['key directive inside <Location>', loc($KEY),
        qr/MCPCredentialsSigningKey/, qr/not allowed/i],
    ['key directive inside <Directory>', "<Directory $t>\n    $KEY\n</Directory>\n",
        qr/MCPCredentialsSigningKey/, qr/not allowed/i],
    (map { my $d = $_;
        ["MaxLifetime $d->[0]", "$KEY\n" . loc("MCPCredentialsMaxLifetime $d->[0]"),
            qr/MCPCredentialsMaxLifetime/, $d->[1]] }
        ['P1Y', qr/year|month|week|calendar/i], ['P1M', qr/year|month|week|calendar/i],
        ['P1W', qr/year|month|week|calendar/i], ['-P1D', qr/negative|positive|greater/i],
        ['PT0S', qr/zero|positive|greater/i], ['0d', qr/zero|positive|greater/i],
        ['abc', qr/abc|duration/i], ['99999999999999999999', qr/large|overflow|too|duration/i],
        ['1d12h', qr/duration/i], ['""', qr/empty|duration/i]),
    ['MaxLifetime given the env way, wrongly', "$KEY\n" . loc('MCPCredentialsMaxLifetime 365 days'),
        qr/MCPCredentialsMaxLifetime/, qr/./],
    ['MCPCredentials Maybe', "$KEY\n<Location /x>\n    MCPCredentials Maybe\n</Location>",
        qr/MCPCredentials\b/, qr/On or Off|on or off/i],
    ['unknown roles source', "$KEY\n" . loc('MCPCredentialsRolesFrom ldap cn=x'),
        qr/MCPCredentialsRolesFrom/, qr/ldap|unknown/i],
    ['roles source without arguments', "$KEY\n" . loc('MCPCredentialsRolesFrom'),
        qr/MCPCredentialsRolesFrom/, qr/./],
    ['missing group file', "$KEY\n" . loc("MCPCredentialsRolesFrom groupfile $t/conf/nope-groups"),
        qr/MCPCredentialsRolesFrom/, qr/nope-groups/],
    ['group file is a directory', "$KEY\n" . loc("MCPCredentialsRolesFrom groupfile $t/conf"),
        qr/MCPCredentialsRolesFrom/, qr/director|regular/i],
    ['header source with a bad name', "$KEY\n" . loc('MCPCredentialsRolesFrom header "X Roles"'),
        qr/MCPCredentialsRolesFrom/, qr/X Roles|name/],
    ['login URL //evil.example', "$KEY\n" . loc('MCPCredentialsLoginURL //evil.example'),
        qr/MCPCredentialsLoginURL/, qr{//evil\.example}],
    ['login URL javascript:x', "$KEY\n" . loc('MCPCredentialsLoginURL javascript:x'),
        qr/MCPCredentialsLoginURL/, qr/javascript:x/],
    ['login URL relative', "$KEY\n" . loc('MCPCredentialsLoginURL login.html'),
        qr/MCPCredentialsLoginURL/, qr/login\.html/],
    ['login URL with a query', "$KEY\n" . loc('MCPCredentialsLoginURL /login?next=x'),
        qr/MCPCredentialsLoginURL/, qr/query|\?next/],
    ['public URL with a path', "$KEY\nMCPCredentialsPublicURL https://mcp.example.com/app\n" . loc(),
        qr/MCPCredentialsPublicURL/, qr/origin|path/i],
    ['public URL not http(s)', "$KEY\nMCPCredentialsPublicURL ftp://mcp.example.com\n" . loc(),
        qr/MCPCredentialsPublicURL/, qr/ftp|origin/i],
    ['public URL inside <Location>', "$KEY\n" . loc('MCPCredentialsPublicURL https://mcp.example.com'),
        qr/MCPCredentialsPublicURL/, qr/not allowed/i],
    ['MaxLifetime at server level (directory context only)',
        "$KEY\nMCPCredentialsMaxLifetime P30D\n",
        qr/MCPCredentialsMaxLifetime/, qr/not allowed/i],
    # A farm's store speaks neither TLS nor AUTH: private addresses only,
    # unless the operator says 'public'.
    ['a Redis store on a public address', "$KEY\nMCPCredentialsCache redis:203.0.113.5:6379\n" . loc(),
        qr/MCPCredentialsCache/, qr/203\.0\.113\.5.*not a loopback or private address.*public/],
    ['a memcache store, one of two servers public', "$KEY\nMCPCredentialsCache memcache:10.0.0.5,8.8.8.8:11211\n" . loc(),
        qr/MCPCredentialsCache/, qr/8\.8\.8\.8.*not a loopback or private/],
    ['a store with no server', "$KEY\nMCPCredentialsCache redis:\n" . loc(),
        qr/MCPCredentialsCache/, qr/names no server/],
    ['a store server that is no address', "$KEY\nMCPCredentialsCache redis:[::1\n" . loc(),
        qr/MCPCredentialsCache/, qr/HOST\[:PORT\]/],
    ['a word after the store other than public', "$KEY\nMCPCredentialsCache redis:10.0.0.5 open\n" . loc(),
        qr/MCPCredentialsCache/, qr/'open' is not 'public'/],
    ['public after a local store', "$KEY\nMCPCredentialsCache shmcb public\n" . loc(),
        qr/MCPCredentialsCache/, qr/redis: and memcache:/],
    ['the store timeout in a virtual host', "$KEY\n<VirtualHost 127.0.0.1:1>\nMCPCredentialsCacheTimeout 5\n</VirtualHost>\n" . loc(),
        qr/MCPCredentialsCacheTimeout/, qr/set it in the main server/],
    (map { ["MCPCredentialsCacheTimeout $_", "$KEY\nMCPCredentialsCacheTimeout $_\n" . loc(),
        qr/MCPCredentialsCacheTimeout/, qr/whole number of seconds from 1 to 60/] }
        qw(0 61 500ms abc)),
);

my @good = (
    ['PEM signing key, module On', "$KEY\n" . loc()],
    ['Atoti Base64 DER PKCS#8 private key', "MCPCredentialsSigningKey $k/atoti.private.b64\n" . loc()],
    ['Atoti Base64 DER public key as a verify key',
        "$KEY\nMCPCredentialsVerifyKey $k/atoti.public.b64\n" . loc()],
    ['a key in the main server serves a virtual host', "$KEY\n<VirtualHost 127.0.0.1:1>\n"
        . loc() . "\n</VirtualHost>"],
    ['no key while the module is Off everywhere', "<Location /x>\n    MCPCredentials Off\n</Location>"],
    ['every directive', join "\n", $KEY,
        "MCPCredentialsVerifyKey $k/previous.pub.pem",
        'MCPCredentialsIssuer activeviam', 'MCPCredentialsAudience atoti',
        'MCPCredentialsPublicURL https://MCP.example.com:8443',
        loc('MCPCredentialsMaxLifetime P90D', 'MCPCredentialsLoginURL https://sso.example/login',
            "MCPCredentialsRolesFrom groupfile $t/conf/groups",
            'MCPCredentialsRolesFrom env AUTHENTICATE_memberOf "; "',
            'MCPCredentialsRolesFrom header X-Roles ;',
            'MCPCredentialsRolesFrom static ROLE_USER',
            'MCPCredentialsRoleMap "cn=x,dc=example" ROLE_X',
            'MCPCredentialsRolePrefix ROLE_',
            'MCPCredentialsRolesAllowed ROLE_* OTHER')],
    (map { ["MaxLifetime $_", "$KEY\n" . loc("MCPCredentialsMaxLifetime $_")] }
        qw(30d 12h P1DT12H PT720H p30d 86400s)),
    ['login URL none', "$KEY\n" . loc('MCPCredentialsLoginURL none')],
    ['a Redis store on loopback and private addresses',
        "$KEY\nMCPCredentialsCache redis:127.0.0.1:6379,10.0.0.5,[::1]:6380\n" . loc()],
    ['a public memcache store the operator vouches for',
        "$KEY\nMCPCredentialsCache memcache:203.0.113.5:11211 public\nMCPCredentialsCacheTimeout 5\n" . loc()],
);

plan tests => 3 * @bad + 2 * @good + 2;

for (@bad) {
    my ($name, $conf, $directive, $what) = @$_;
    my $start = time;
    my ($rc, $out) = config_test($conf, timeout => 15);
    my $took = time - $start;
    ok t_cmp(($rc > 0 && $out !~ /Syntax OK/) ? 1 : 0, 1,
        "$name: apache2 -t refuses (exit $rc)");
    ok t_cmp($out, $directive, "$name: the message names the directive");
    ok t_cmp($out, $what, "$name: and says what is wrong");
    if ($name eq 'encrypted key') {
        ok t_cmp(($rc != -1 && $took < 10) ? 1 : 0, 1,
            sprintf 'encrypted key: no passphrase prompt, no hang (%.1f s)', $took);
    }
}

for (@good) {
    my ($name, $conf) = @$_;
    my ($rc, $out) = config_test($conf);
    ok t_cmp($rc, 0, "$name: apache2 -t passes") or print STDERR "# $out\n";
    ok t_cmp($out, qr/Syntax OK/, "$name: Syntax OK");
}

# The env variable of the max lifetime is checked at startup as well.
{
    my ($rc, $out) = config_test("$KEY\n" . loc(),
        env => {ATOTI_MCP_CREDENTIALS_MAX_LIFETIME => 'PT0S'});
    ok t_cmp($out, qr/ATOTI_MCP_CREDENTIALS_MAX_LIFETIME/,
        'ATOTI_MCP_CREDENTIALS_MAX_LIFETIME=PT0S: refused, naming the variable');
}
