# The authorities claim: every roles source (groupfile, env, header set by
# httpd, static), separators, the map, the prefix, the allow list; roles a
# client forges in a header are ignored; the page lists the roles escaped.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use HTML::Entities qw(decode_entities);

use MIME::Base64 qw(encode_base64);

use MCPTest qw(mint_json verify_token key_path json basic raw_request);

plan tests => 34;

sub jl { json()->encode($_[0]) }

my $signing = key_path('signing.pem');

# The verified authorities of a token minted at base as user.
sub roles_of {
    my ($base, $user, %headers) = @_;
    my ($res, $data) = mint_json($base, $user, {expiresIn => 'P1D'}, %headers);
    my $c = eval { verify_token($data->{token}, $signing) } || {};
    return ($res, $c->{authorities}, $data);
}

# The same through a raw request, for header names LWP would rewrite
# (it turns '_' into '-').
sub raw_roles_of {
    my ($base, $user, @lines) = @_;
    my $body = '{"expiresIn":"P1D"}';
    my $res = raw_request(join("\r\n", "POST $base/token HTTP/1.1",
        'Host: ' . Apache::TestRequest::hostport(),
        'Authorization: Basic ' . encode_base64("$user:$user-pw", ''),
        'Content-Type: application/json',
        'Content-Length: ' . length($body), 'Connection: close', @lines, '', '')
        . $body);
    my $data = eval { json()->decode($res->content) } || {};
    my $c = eval { verify_token($data->{token}, $signing) } || {};
    return ($res, $c->{authorities});
}

# The roles the page lists (checkbox values), decoded.
sub page_roles {
    my ($html) = @_;
    return [map { decode_entities($_) }
        $html =~ /<input type="checkbox" name="authorities" id="role-\d+" value="([^"]*)"/g];
}

# The unmapped DN "CN=Other Group,DC=example,DC=com" would read as several
# roles in the comma-separated lists handed to a backend: it is dropped
# (t/40_hostile.t has the rest of that class).
my @alice = ('ROLE_USER', 'ROLE_ADMIN', 'ROLE_ENV_A', 'ROLE_ENV_B',
    'ROLE_header_one', 'ROLE_header_two', 'ROLE_STATIC', 'ROLE_ANALYST');
my @bob = ('ROLE_USER', 'ROLE_ANALYST', 'ROLE_ENV_A', 'ROLE_ENV_B',
    'ROLE_header_one', 'ROLE_header_two', 'ROLE_STATIC');
my @carol = ('ROLE_ENV_A', 'ROLE_ENV_B', 'ROLE_header_one', 'ROLE_header_two',
    'ROLE_STATIC', 'ROLE_ANALYST');

# --- /roles: the union of every source, in a stable order ------------------
{
    my ($res, $roles) = roles_of('/roles', 'alice');
    ok t_cmp($res->code, 200, '/roles: alice mints');
    ok t_cmp(jl($roles), jl(\@alice),
        'alice: groupfile, env (;), header (,), static, DN env ("; ") mapped, prefixed, unmapped DN dropped');
    my ($res2, $again) = roles_of('/roles', 'alice');
    ok t_cmp(jl($again), jl($roles), 'the order is stable from one mint to the next');
    (undef, $roles) = roles_of('/roles', 'bob');
    ok t_cmp(jl($roles), jl(\@bob),
        'bob: his DN group mapped to ROLE_ANALYST, the env DN merged into it');
    (undef, $roles) = roles_of('/roles', 'carol');
    ok t_cmp(jl($roles), jl(\@carol), 'carol: no group, the other sources');

    my %r = map { $_ => 1 } @{ $roles || [] };
    ok t_cmp(scalar(grep { !/^ROLE_/ } @{ $roles || [] }), 0,
        'every role carries the ROLE_ prefix');
    ok t_cmp(scalar(grep { /^ROLE_ROLE_/ } @{ $roles || [] }), 0,
        'the prefix is not doubled');
    ok t_cmp(scalar(grep { /CN=Analysts/i } @{ $roles || [] }), 0,
        'the mapped DN does not stay as well');
}

# --- Forged headers ----------------------------------------------------------
{
    # /roles trusts X-Test-Roles, which RequestHeader sets; a client's copy
    # and a client header named like the env source change nothing.
    my (undef, $roles) = raw_roles_of('/roles', 'alice',
        'X-Test-Roles: ROLE_EVIL', 'X_Test_Roles: ROLE_EVIL2',
        'MCP_TEST_ROLES: ROLE_EVIL3', 'MCP-TEST-DN: ROLE_EVIL4');
    ok t_cmp(jl($roles), jl(\@alice), '/roles: client-sent role headers change nothing');

    my ($res, $forged) = roles_of('/forged', 'alice');
    ok t_cmp(jl($forged), jl(['ROLE_USER']), '/forged: without a header, the static role');
    (undef, $forged) = roles_of('/forged', 'alice', 'X-Forged-Roles' => 'ROLE_ADMIN');
    ok t_cmp(jl($forged), jl(['ROLE_USER']), '/forged: X-Forged-Roles from the client is ignored');
    (undef, $forged) = roles_of('/forged', 'alice', 'x-forged-roles' => 'ROLE_ADMIN,ROLE_ROOT');
    ok t_cmp(jl($forged), jl(['ROLE_USER']), '/forged: in lower case too');
    (undef, $forged) = raw_roles_of('/forged', 'alice', 'X_Forged_Roles: ROLE_ADMIN');
    ok t_cmp(jl($forged), jl(['ROLE_USER']), '/forged: X_Forged_Roles (underscores) is ignored');
    (undef, $forged) = raw_roles_of('/forged', 'alice',
        'X-Forged-Roles: ROLE_ADMIN', 'X-Forged-Roles: ROLE_ROOT', 'x_forged-roles: ROLE_X');
    ok t_cmp(jl($forged), jl(['ROLE_USER']), '/forged: repeated and mixed spellings are ignored');
    my ($r, $d) = mint_json('/forged', 'alice',
        {expiresIn => 'P1D', authorities => ['ROLE_ADMIN']},
        'X-Forged-Roles' => 'ROLE_ADMIN');
    ok t_cmp($r->code, 400, '/forged: asking for the forged role is a 400');
    my $page = GET '/forged', basic('alice'), 'X-Forged-Roles' => 'ROLE_ADMIN';
    ok t_cmp(jl(page_roles($page->content)), jl(['ROLE_USER']),
        '/forged: the page does not list the forged role either');
}

# --- The allow list ------------------------------------------------------------
{
    my (undef, $roles) = roles_of('/allowed', 'alice');
    ok t_cmp(jl($roles), jl(['ROLE_USER']), '/allowed: ROLE_ADMIN is dropped');
    (undef, $roles) = roles_of('/allowed', 'bob');
    ok t_cmp(jl($roles), jl(['ROLE_USER']), '/allowed: bob\'s unmapped DN group is dropped');
    my ($r) = mint_json('/allowed', 'alice',
        {expiresIn => 'P1D', authorities => ['ROLE_ADMIN']});
    ok t_cmp($r->code, 400, '/allowed: ROLE_ADMIN cannot be asked for');
    my $page = GET '/allowed', basic('alice');
    ok t_cmp(jl(page_roles($page->content)), jl(['ROLE_USER']),
        '/allowed: the page lists only what a token may carry');
    (undef, $roles) = roles_of('/roles-allow', 'carol');
    ok t_cmp(jl($roles), jl(['ROLE_A', 'OTHER']),
        '/roles-allow: globs (ROLE_?) and exact names; the rest dropped');
}

# --- Roles on the page -----------------------------------------------------------
{
    my $page = GET '/roles', basic('alice');
    ok t_cmp($page->code, 200, '/roles: the page');
    ok t_cmp(jl(page_roles($page->content)), jl(\@alice),
        'it lists alice\'s roles in the token\'s order');
    my $html = $page->content;
    ok t_cmp(scalar(() = $html =~ /<label for="role-\d+">/g), scalar(@alice),
        'one label per role');

    $page = GET '/escaped', basic('alice');
    $html = $page->content;
    ok t_cmp($page->code, 200, '/escaped: the page');
    ok t_cmp(index($html, '<b>bold</b>'), -1, 'a role with markup is not markup');
    ok t_cmp($html, qr/ROLE_&lt;b&gt;bold&lt;\/b&gt;/, 'it is shown escaped');
    ok t_cmp(index($html, q{ROLE_a&b"c'd}), -1, 'nor are & " \' raw');
    ok t_cmp($html, qr/ROLE_a&amp;b&(?:quot|#34|#x22);c&(?:#39|#x27|apos);d/,
        '& " \' escaped');
    ok t_cmp(jl(page_roles($html)), jl(['ROLE_<b>bold</b>', q{ROLE_a&b"c'd}]),
        'the values decode back to the roles');
    my (undef, $roles) = roles_of('/escaped', 'alice');
    ok t_cmp(jl($roles), jl(['ROLE_<b>bold</b>', q{ROLE_a&b"c'd}]),
        'and the token carries them as they are');

    $page = GET '/no-roles', basic('alice');
    ok t_cmp(scalar(@{ page_roles($page->content) }), 0, '/no-roles: no checkbox');
    ok t_cmp($page->content, qr/hold no roles/, '/no-roles: the page says so');
    (undef, $roles) = roles_of('/no-roles', 'alice');
    ok t_cmp(jl($roles), '[]', '/no-roles: the token carries []');
}
