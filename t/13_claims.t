# What a minted token holds, checked after verifying it with Crypt::JWT
# (an implementation nobody here wrote) and the public key: the header, the
# claims, the JSON answer around it, narrowing authorities, and the audit
# trail (a log line and MCP_TOKEN_JTI, never the token).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Crypt::JWT qw(decode_jwt);

use MCPTest qw(mint mint_json decode_token verify_token key_path json
    error_log_mark error_log_since kid_of rfc3339 t_dir);

plan tests => 64;

sub ok_true { my ($c, $name) = @_; ok t_cmp($c ? 1 : 0, 1, $name) }
sub jl { json()->encode($_[0]) }   # a stable text of a structure

my $UUID = qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
my $signing = key_path('signing.pem');

my $mark = error_log_mark();
my $before = time;
my ($res, $data) = mint_json('/mcp-credentials', 'alice', {expiresIn => 'P7D'});
my $after = time;
$data ||= {};
my $token = $data->{token} // '';

# --- The answer --------------------------------------------------------
ok t_cmp($res->code, 200, 'alice mints: 200');
ok t_cmp($res->header('Content-Type'), qr{^application/json\b}, 'JSON');
ok t_cmp(jl([sort keys %$data]),
    jl([sort qw(token tokenType expiresAt issuedAt jti subject authorities)]),
    'the answer has exactly its members');
ok t_cmp($data->{tokenType}, 'Bearer', 'tokenType Bearer');
ok t_cmp($data->{subject}, 'alice', 'subject alice');
ok t_cmp($data->{jti} // '', $UUID, 'jti is a random (version 4) UUID');
ok t_cmp($data->{expiresAt} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'expiresAt is RFC 3339 UTC');
ok t_cmp($data->{issuedAt} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'issuedAt is RFC 3339 UTC');

# --- Verified with an independent implementation -------------------------
my $claims = eval { verify_token($token, $signing) };
ok_true $claims, 'the token verifies with Crypt::JWT, RS512, the public key'
    or print STDERR "# $@\n";
$claims ||= {};
ok_true !eval { verify_token($token, key_path('stranger.pem')); 1 },
    'it does not verify with a stranger\'s key';
ok_true !eval { verify_token($token, key_path('previous.pem')); 1 },
    'nor with the verify-only previous key (it never signs)';
{
    # A flipped payload byte breaks the signature.
    my ($h, $p, $s) = split /\./, $token;
    my $bad = join '.', $h, ($p =~ tr/A-Za-z/B-ZAb-za/r), $s // '';
    ok_true !eval { verify_token($bad, $signing); 1 },
        'a tampered token does not verify';
}

ok t_cmp(jl([sort keys %$claims]),
    jl([sort qw(sub iss iat nbf exp jti authorities)]),
    'claims: exactly sub iss iat nbf exp jti authorities (no aud configured)');
ok t_cmp($claims->{sub}, 'alice', 'sub is the httpd user');
ok t_cmp($claims->{iss}, 'activeviam', 'iss is activeviam');
ok_true(($claims->{iat} // 0) >= $before - 1 && ($claims->{iat} // 0) <= $after + 1,
    'iat is now');
ok t_cmp($claims->{nbf}, $claims->{iat}, 'nbf == iat');
ok t_cmp(($claims->{exp} // 0) - ($claims->{iat} // 0), 7 * 86400,
    'exp = iat + 7 days');
ok_true(!ref $claims->{iat} && ($claims->{iat} // '') =~ /^\d+$/
    && ($claims->{exp} // '') =~ /^\d+$/, 'NumericDates are integers');
ok t_cmp($claims->{jti}, $data->{jti}, 'jti claim == answer jti');
ok t_cmp(jl($claims->{authorities}), jl(['ROLE_USER', 'ROLE_ADMIN']),
    'authorities: alice\'s groups in file order');
ok t_cmp($data->{expiresAt}, rfc3339($claims->{exp} // 0),
    'answer expiresAt == exp');
ok t_cmp($data->{issuedAt}, rfc3339($claims->{iat} // 0),
    'answer issuedAt == iat');
ok t_cmp(jl($data->{authorities}), jl($claims->{authorities}),
    'answer authorities == claim');

# --- Header and kid --------------------------------------------------------
my ($header) = eval { decode_token($token) };
$header ||= {};
ok t_cmp($header->{alg}, 'RS512', 'header alg RS512');
ok t_cmp($header->{typ}, 'JWT', 'header typ JWT');
ok t_cmp($header->{kid}, kid_of($signing),
    'kid is the RFC 7638 thumbprint of the signing key');
my $jwks_res = GET '/mcp-credentials/jwks.json';
my $jwks = eval { json()->decode($jwks_res->content) } || {keys => []};
my ($jwk) = grep { ($_->{kid} // '') eq ($header->{kid} // '-') }
    @{ $jwks->{keys} || [] };
ok_true $jwk, 'the kid is in /mcp-credentials/jwks.json';
ok_true(eval {
    decode_jwt(token => $token, kid_keys => $jwks_res->content,
        accepted_alg => 'RS512');
    1;
}, 'the token verifies against the JWK Set by kid');
ok t_cmp(scalar(@{ $jwks->{keys} || [] }), 2,
    'the JWK Set holds the signing key and the verify-only key');
ok_true((grep { ($_->{kid} // '') eq kid_of(key_path('previous.pub.pem')) }
    @{ $jwks->{keys} || [] }) == 1, 'including the previous key by kid');

# --- jti is unique ---------------------------------------------------------
{
    my %seen;
    for (1 .. 5) {
        my (undef, $d) = mint_json('/mcp-credentials', 'alice',
            {expiresIn => 'P1D'});
        $seen{ $d->{jti} // 'none' }++ if $d;
    }
    $seen{ $data->{jti} // 'none' }++;
    ok t_cmp(scalar(keys %seen), 6, 'six mints, six jti');
}

# --- Concurrent mints (event MPM threads): all good, all distinct ----------
{
    require LWP::UserAgent;
    require HTTP::Request::Common;
    require POSIX;
    my ($kids, $per) = (6, 5);
    my $url = Apache::TestRequest::resolve_url('/mcp-credentials/token');
    pipe(my $rd, my $wr) or die "pipe: $!";
    my @pids;
    for my $k (1 .. $kids) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            $wr->autoflush(1);
            my $ua = LWP::UserAgent->new(timeout => 20);
            for (1 .. $per) {
                my $r = $ua->request(HTTP::Request::Common::POST($url,
                    MCPTest::basic($k % 2 ? 'alice' : 'bob'),
                    'Content-Type' => 'application/json',
                    Content => '{"expiresIn":"P1D"}'));
                my $d = eval { json()->decode($r->content) } || {};
                print {$wr} ($r->code == 200 && $d->{token}
                    ? $d->{token} : 'ERR' . $r->code), "\n";
            }
            close $wr;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $wr;
    my @tokens = map { chomp; $_ } <$rd>;
    close $rd;
    waitpid $_, 0 for @pids;
    my %jti;
    my $good = grep {
        my $c = eval { verify_token($_, $signing) };
        $jti{ $c->{jti} }++ if $c;
        $c && $c->{sub} =~ /^(?:alice|bob)$/;
    } @tokens;
    ok t_cmp($good, $kids * $per,
        "$kids clients x $per concurrent mints: every token verifies");
    ok t_cmp(scalar(keys %jti), $kids * $per, 'and every jti differs');
}

# --- Other users -----------------------------------------------------------
{
    my ($r, $d) = mint_json('/mcp-credentials', 'bob', {expiresIn => 'P7D'});
    my $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp($c->{sub}, 'bob', 'bob: sub bob');
    ok t_cmp(jl($c->{authorities}), jl(['ROLE_USER']),
        'bob: his groups, less the DN whose commas would make several roles');
    ($r, $d) = mint_json('/mcp-credentials', 'carol', {expiresIn => 'P7D'});
    $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp($r->code, 200, 'carol (no group) mints');
    ok t_cmp(ref $c->{authorities}, 'ARRAY', 'carol: authorities is an array');
    ok t_cmp(jl($c->{authorities}), '[]', 'carol: and empty');
    my $odd = '<img src=x onerror=alert(1)>';
    ($r, $d) = mint_json('/mcp-credentials', $odd, {expiresIn => 'P7D'});
    $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp($c->{sub}, $odd, 'a user name with markup is the sub, as is');
    ok t_cmp($d->{subject}, $odd, 'and the answer\'s subject');
}

# --- Narrowing authorities ---------------------------------------------------
{
    my ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => ['ROLE_USER']});
    my $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp($r->code, 200, 'narrowed to ROLE_USER: 200');
    ok t_cmp(jl($c->{authorities}), jl(['ROLE_USER']), 'the claim holds only ROLE_USER');
    ok t_cmp(jl($d->{authorities}), jl(['ROLE_USER']), 'and the answer');

    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => ['ROLE_ADMIN', 'ROLE_USER']});
    $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp(jl($c->{authorities}), jl(['ROLE_USER', 'ROLE_ADMIN']),
        'both, in the user\'s order');

    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => []});
    $c = eval { verify_token($d->{token}, $signing) } || {};
    ok t_cmp($r->code, 200, 'authorities [] : 200');
    ok t_cmp(jl($c->{authorities}), '[]', 'an empty array in the token');
    ok t_cmp(jl($d->{authorities}), '[]', 'and in the answer');

    ($r, $d) = mint_json('/mcp-credentials', 'bob',
        {expiresIn => 'P7D', authorities => ['ROLE_ADMIN']});
    ok t_cmp($r->code, 400, 'bob asks for ROLE_ADMIN he lacks: 400');
    ok_true(($d && $d->{error} && $d->{message} && !$d->{token}),
        'a JSON error, no token');
    ok t_cmp($d->{message} // '', qr/ROLE_ADMIN/, 'naming the role');

    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => ['ROLE_USER', 'ROLE_ROOT']});
    ok t_cmp($r->code, 400, 'one held and one lacking role: 400');
    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => ['role_user']});
    ok t_cmp($r->code, 400, 'roles compare exactly (role_user is not held)');
    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => 'ROLE_USER'});
    ok t_cmp($r->code, 400, 'authorities as a string, not an array: 400');
    ($r, $d) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D', authorities => [1]});
    ok t_cmp($r->code, 400, 'authorities holding a number: 400');
}

# --- Audit: one log line and the request note, never the token -------------
{
    my $log = error_log_since($mark);
    my $jti = $data->{jti} // 'none';
    my @lines = grep { /\Q$jti\E/ } split /\n/, $log;
    ok t_cmp(scalar(@lines), 1, 'one error-log line names the jti of the mint');
    my $line = $lines[0] // '';
    ok t_cmp($line, qr/\bjti=\Q$jti\E\b/, 'it gives jti=');
    ok t_cmp($line, qr/alice/, 'the user');
    ok t_cmp($line, qr/\Q$data->{expiresAt}\E/, 'exp');
    ok t_cmp($line, qr/ROLE_USER,ROLE_ADMIN/, 'the authorities');
    ok t_cmp($line, qr/127\.0\.0\.1|::1/, 'the client address');

    my $whole = do {
        open my $fh, '<', t_dir() . '/logs/error_log' or die $!;
        local $/;
        <$fh>;
    };
    my ($h, $p, $s) = split /\./, $token;
    ok_true(length($s // '') > 100 && index($whole, $s) < 0
        && index($whole, "$h.$p") < 0,
        'the token (nor its signature) is nowhere in the error log');

    # MCP_TOKEN_JTI in the request notes, as the access log shows it.
    my $jti_log = t_dir() . '/logs/mcp_jti_log';
    my $found = 0;
    for (1 .. 40) {
        if (open my $fh, '<', $jti_log) {
            local $/;
            my $text = <$fh> // '';
            if ($text =~ /^alice \Q$jti\E$/m) { $found = 1; last }
        }
        select undef, undef, undef, 0.05;
    }
    ok_true $found, 'MCP_TOKEN_JTI is in the request notes (access log %{MCP_TOKEN_JTI}n)';
    my $access = do {
        open my $fh, '<', $jti_log or die $!;
        local $/;
        <$fh>;
    };
    ok_true index($access, $s) < 0, 'the token is not in the access log';
}
