# The authorization server (MCPOAuth On) where the end-to-end suite cannot
# reach: configurations httpd must refuse, a pinned client id metadata
# document, the per-address registration limit, an https redirect nobody
# allowed, approval through a bearer-guarded location, an expired code,
# `mcp-token revoke --sub` ending grants, what a restart does to grants
# with shmcb (they end) and with memcached (they stay), and that neither a
# flood of refused registrations nor one user's stream of mints pushes a
# grant out of shmcb.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(sha256);
use FindBin;
use File::Temp qw(tempdir);
use HTTP::Request::Common qw(GET POST);
use IO::Socket::INET ();
use MIME::Base64 ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64url);
use URI ();
use URI::QueryParam ();
use lib "$FindBin::Bin/lib";
use MCPTest qw(config_test t_dir);

plan tests => 69, need { 'memcached is installed (make deps)' => -x '/usr/bin/memcached' };

my $t = t_dir();
my $m = $ENV{MCP_MODDIR} || '/usr/lib/apache2/modules';
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $json = JSON::PP->new->canonical;
my $ua = LWP::UserAgent->new(timeout => 20, max_redirect => 0);

# Secrets and a pinned client document.
sub write_file { my ($p, $c) = @_; open my $fh, '>', $p or die "$p: $!"; print $fh $c; close $fh }
write_file("$dir/secret", encode_base64url(join '', map { chr int rand 256 } 1 .. 48) . "\n");
write_file("$dir/short", "too short\n");
my $doc_url = 'https://app.example/mcp-client.json';
write_file("$dir/client.json", $json->encode({client_id => $doc_url,
    client_name => 'Pinned App', redirect_uris => ['https://app.example/cb']}));
write_file("$dir/other.json", $json->encode({client_id => 'https://other.example/x',
    redirect_uris => ['https://app.example/cb']}));
write_file("$dir/revoked", '');
chmod 0644, "$dir/revoked";

my $KEY = "MCPCredentialsSigningKey $t/keys/signing.pem";
my $LOC = MCPTest::basic_location('/mcp-credentials',
    "MCPCredentialsRolesFrom static ROLE_USER", 'MCPCredentialsLoginURL none',
    'MCPCredentialsMintRate off');
my $ORIGIN = 'MCPCredentialsPublicURL http://127.0.0.1:1';
my $OAUTH = "MCPOAuth On\nMCPOAuthSecretFile $dir/secret";
# A limit no one reaches, in windows of one second.
my $FLOOD = MCPTest::basic_location('/flood',
    "MCPCredentialsRolesFrom static ROLE_USER", 'MCPCredentialsLoginURL none',
    'MCPCredentialsMintRate 1000000/1s');

# --- configurations httpd refuses (apache2 -t), each naming the cause.
my @refused = (
    ['no public URL', "$KEY\n$OAUTH\n$LOC", qr/MCPCredentialsPublicURL/],
    ['an http public URL off loopback', "$KEY\nMCPCredentialsPublicURL http://mcp.example\n$OAUTH\n$LOC",
        qr/https MCPCredentialsPublicURL/],
    ['another authorization server', "$KEY\n$ORIGIN\n$OAUTH\nMCPBearerAuthorizationServer https://as.example\n$LOC",
        qr/MCPBearerAuthorizationServer/],
    ['no secret', "$KEY\n$ORIGIN\nMCPOAuth On\n$LOC", qr/MCPOAuthSecretFile/],
    ['a short secret', "$KEY\n$ORIGIN\nMCPOAuth On\nMCPOAuthSecretFile $dir/short\n$LOC",
        qr/MCPOAuthSecretFile.*fewer than 32 bytes/],
    ['no credentials location', "$KEY\n$ORIGIN\n$OAUTH", qr/<Location> with MCPCredentials On/],
    ['no cache', "$KEY\n$ORIGIN\n$OAUTH\nMCPCredentialsCache none\n$LOC", qr/MCPCredentialsCache/],
    ['an http redirect pattern', "MCPOAuthRedirectAllowed http://x.example/*", qr/MCPOAuthRedirectAllowed/],
    ['a resource with a fragment', "<Location /mcp>\nMCPBearerResource https://h.example/mcp#x\n</Location>",
        qr/MCPBearerResource/],
    ['a resource over ftp', "<Location /mcp>\nMCPBearerResource ftp://h.example/mcp\n</Location>",
        qr/MCPBearerResource/],
    ['a document whose client_id differs', "MCPOAuthClientMetadata https://app.example/x.json $dir/other.json",
        qr/MCPOAuthClientMetadata.*client_id/],
    ['a document id without path', "MCPOAuthClientMetadata https://app.example $dir/client.json",
        qr/MCPOAuthClientMetadata/],
    ['access tokens of two days', "MCPOAuthAccessLifetime P2D", qr/MCPOAuthAccessLifetime.*one day/],
);
for my $c (@refused) {
    my ($rc, $out) = config_test($c->[1]);
    ok t_cmp($rc != 0 && $out =~ $c->[2] ? 1 : $out, 1, "refused: $c->[0]");
}
{
    my ($rc, $out) = config_test("$KEY\n$ORIGIN\n$OAUTH\n$LOC\n"
        . "MCPOAuthClientMetadata $doc_url $dir/client.json\n"
        . "<Location /mcp>\nAuthType mcp-bearer\nRequire valid-user\n"
        . "MCPBearerResource http://127.0.0.1:1/mcp\nMCPBearerRequireAudience On\n</Location>");
    ok t_cmp($rc, 0, "a complete configuration passes: $out");
}

# --- a server: a pinned document, 3 registrations an hour, a second
# credentials location behind bearer tokens, the revocation file.
sub server {
    my (%o) = @_;
    my $port = $o{port} || MCPTest::free_port();
    return MCPTest::private_httpd(port => $port, conf => <<"CONF");
$o{modules}
$KEY
MCPCredentialsPublicURL http://127.0.0.1:$port
MCPOAuth On
MCPOAuthSecretFile $dir/secret
MCPOAuthClientMetadata $doc_url $dir/client.json
MCPOAuthRegistrationRate 3/1h
MCPBearerRevokedTokens $dir/revoked
$o{cache}
LogLevel warn mcp_credentials:info
$LOC
<Location /bearer-mint>
    AuthType mcp-bearer
    AuthName "mcp"
    Require valid-user
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsRolesFrom static ROLE_USER
</Location>
<Location /mcp>
    AuthType mcp-bearer
    Require valid-user
    MCPBearerResource http://127.0.0.1:$port/mcp
</Location>
<Location /strict>
    AuthType mcp-bearer
    Require valid-user
    MCPBearerResource http://127.0.0.1:$port/mcp
    MCPBearerRequireAudience On
</Location>
<Location /open-creds>
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsLoginURL /login/index.html
</Location>
<Location /login>
    SetHandler mcp-credentials-login
</Location>
$FLOOD
CONF
}

sub pkce {
    my $v = encode_base64url(join '', map { chr int rand 256 } 1 .. 40);
    return ($v, encode_base64url(sha256($v)));
}
sub form_post {
    my ($h, $path, $fields, @headers) = @_;
    return $ua->request(POST $h->url($path), $fields, @headers);
}
sub register {
    my ($h, $meta) = @_;
    return $ua->request(POST $h->url('/mcp-credentials/oauth/register'),
        'Content-Type' => 'application/json', Content => $json->encode($meta));
}
# Registers (unless given a client id), consents as alice, returns the
# code, the verifier, the client id and the redirect URI.
sub code_for {
    my ($h, %o) = @_;
    my $redirect = $o{redirect} || 'http://127.0.0.1:7777/cb';
    # One registered client a server: registrations are limited.
    my $client = $o{client} || ($h->{client} //= $json->decode(register($h, {
        redirect_uris => ['http://127.0.0.1/cb'],
        grant_types => ['authorization_code', 'refresh_token']})->decoded_content)->{client_id});
    my ($v, $c) = pkce();
    my $uri = URI->new($h->url($o{base} || '/mcp-credentials') . '/oauth/authorize');
    $uri->query_form(response_type => 'code', client_id => $client,
        redirect_uri => $redirect, code_challenge => $c,
        code_challenge_method => 'S256', state => 'st');
    my $page = $ua->request(GET $uri, @{ $o{auth} || [MCPTest::basic('alice')] });
    return { page => $page } if $page->code != 200;
    my ($consent) = $page->decoded_content =~ /name="csrf" value="([^"]+)"/;
    my $res = form_post($h, '/mcp-credentials/oauth/authorize',
        [csrf => $consent, lifetime => $o{lifetime} || 'P7D', decision => 'approve'],
        MCPTest::basic('alice'));
    my $code = URI->new($res->header('Location') // '')->query_param('code');
    return { code => $code, verifier => $v, client => $client,
        redirect => $redirect, page => $page };
}
sub redeem {
    my ($h, $g) = @_;
    return form_post($h, '/mcp-credentials/oauth/token', [
        grant_type => 'authorization_code', code => $g->{code},
        redirect_uri => $g->{redirect}, code_verifier => $g->{verifier},
        client_id => $g->{client}]);
}
sub refresh {
    my ($h, $client, $token) = @_;
    return form_post($h, '/mcp-credentials/oauth/token', [
        grant_type => 'refresh_token', refresh_token => $token,
        client_id => $client]);
}
sub error_of { my $d = eval { $json->decode($_[0]->decoded_content) } || {}; $d->{error} // '' }

my $h = server(modules => '', cache => '');
my $started = time;
my $old = code_for($h);   # redeemed at the end, once it has expired
ok t_cmp(defined $old->{code} ? 1 : 0, 1, 'a code for the expiry test');

# --- the pinned document: advertised, and its https redirect needs no
# MCPOAuthRedirectAllowed.
my $meta = $json->decode($ua->get($h->url('/.well-known/oauth-authorization-server'))->decoded_content);
ok t_cmp($meta->{client_id_metadata_document_supported}, JSON::PP::true,
    'pinned documents are advertised');
{
    my $g = code_for($h, client => $doc_url, redirect => 'https://app.example/cb');
    ok t_cmp($g->{page}->code, 200, 'the pinned client gets the consent page');
    ok t_cmp($g->{page}->decoded_content =~ /id="client-name">Pinned App</ ? 1 : 0, 1,
        'with its name from the document');
    my $res = redeem($h, $g);
    ok t_cmp($res->code, 200, 'and its code is redeemed');
    my $other = $ua->request(GET $h->url('/mcp-credentials/oauth/authorize?response_type=code'
        . '&client_id=https%3A%2F%2Fapp.example%2Fnot-pinned.json&redirect_uri=https%3A%2F%2Fapp.example%2Fcb'),
        MCPTest::basic('alice'));
    ok t_cmp($other->code, 400, 'a document URL nobody pinned is an unknown client');
    ok t_cmp($other->header('Location'), undef, 'answered with a page, no redirect');
}

# --- registration: https only where allowed; three an hour per address
# (two were made above).
{
    my $res = register($h, {redirect_uris => ['https://evil.example/cb']});
    ok t_cmp($res->code, 400, 'an https redirect nobody allowed is refused');
    ok t_cmp(error_of($res), 'invalid_redirect_uri', 'as invalid_redirect_uri');
    $res = register($h, {redirect_uris => ['http://127.0.0.1/cb']});
    ok t_cmp($res->code, 201, 'the third registration of the hour passes');
    $res = register($h, {redirect_uris => ['http://127.0.0.1/cb']});
    ok t_cmp($res->code, 429, 'the fourth is refused');
    ok t_cmp($res->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After');
    ok t_cmp($h->log, qr/refused \(rate_limited\).*MCPOAuthRegistrationRate/,
        'the refusal is logged with its cause');
}

# --- a bearer token cannot approve, even where the location takes one.
{
    my $g = code_for($h);
    my $tok = $json->decode(redeem($h, $g)->decoded_content);
    my $bearer = code_for($h, client => $g->{client}, base => '/bearer-mint',
        auth => [Authorization => "Bearer $tok->{access_token}"]);
    ok t_cmp($bearer->{page}->code, 403, 'a bearer token gets no consent page');
    ok t_cmp($bearer->{page}->decoded_content =~ /bearer token cannot approve/ ? 1 : 0, 1,
        'and is told why');
}

# --- audiences at the guard: a token with aud only at its resource; with
# MCPBearerRequireAudience On, none without aud (a page token).
{
    my $page = $ua->request(POST $h->url('/mcp-credentials/token'),
        'Content-Type' => 'application/json', MCPTest::basic('alice'),
        Content => $json->encode({expiresIn => 'P1D'}));
    my $page_token = eval { $json->decode($page->decoded_content)->{token} } // '';
    my $g = code_for($h);
    my $tok = $json->decode(redeem($h, $g)->decoded_content);
    my %got = map {
        my ($where, $token) = @$_;
        ("$where" => $ua->get($h->url($where), Authorization => "Bearer $token")->code)
    } (['/mcp', $page_token], ['/strict', $tok->{access_token}]);
    ok t_cmp($got{'/mcp'}, 404, 'a page token (no aud) passes where a resource is named');
    ok t_cmp($got{'/strict'}, 404, 'an OAuth token passes at its resource');
    my $res = $ua->get($h->url('/strict'), Authorization => "Bearer $page_token");
    ok t_cmp($res->code, 401, 'MCPBearerRequireAudience On: a token without aud is refused');
    ok t_cmp($res->header('WWW-Authenticate') // '', qr/error="invalid_token"/,
        'as an invalid token');
    # A client cannot revoke another client's grant.
    $res = form_post($h, '/mcp-credentials/oauth/revoke',
        [token => $tok->{refresh_token}, client_id => $doc_url]);
    ok t_cmp($res->code, 400, 'revocation by another client is refused');
    ok t_cmp(error_of($res), 'unauthorized_client', 'as unauthorized_client');
    ok t_cmp(refresh($h, $g->{client}, $tok->{refresh_token})->code, 200,
        'and the grant lives on');
}

# --- an authorization request survives the trip through the login page,
# whether the module sends the visitor there (redirectUrl encoded whole)
# or mod_auth_form does (%{escape:...} of the path and the query).
{
    my $query = 'response_type=code&client_id=c&state=a%26b';
    my $res = $ua->get($h->url("/open-creds/oauth/authorize?$query"));
    ok t_cmp($res->header('Location') // '', qr{^/login/index\.html\?redirectUrl=},
        'a visitor without a user is sent to the login page');
    my $page = $ua->get($h->url($res->header('Location') // '/'))->decoded_content;
    ok t_cmp($page =~ /name="httpd_location" value="([^"]*)"/ ? $1 : '',
        '/open-creds/oauth/authorize?response_type=code&amp;client_id=c&amp;state=a%26b',
        'the login page sends the whole request back');
    $page = $ua->get($h->url('/login/index.html?redirectUrl=/open-creds/oauth/authorize'
        . '%3fresponse_type=code&client_id=c&state=a%2526b'))->decoded_content;
    ok t_cmp($page =~ /name="httpd_location" value="([^"]*)"/ ? $1 : '',
        '/open-creds/oauth/authorize?response_type=code&amp;client_id=c&amp;state=a%26b',
        'and so from an escaped REQUEST_URI and QUERY_STRING');
}

# --- many grants live at once in the default store: records spread over
# all of shmcb's subcaches (it picks one by a key's first byte).
{
    my @codes = map { code_for($h) } 1 .. 250;
    my @tokens = map { my $res = redeem($h, $_);
        $res->code == 200 ? $json->decode($res->decoded_content) : undef } @codes;
    my $ok = grep { defined } @tokens;
    ok t_cmp($ok, 250, '250 codes approved in a row are all redeemed');

    # shmcb keeps each subcache as a ring: every write pushes out its
    # oldest records, live or not.  A flood of refused requests writes
    # nothing, and a grant refreshed again and again stays in.
    my $refused = grep { register($h, {redirect_uris => ['http://127.0.0.1/cb']})->code == 429 } 1 .. 1500;
    ok t_cmp($refused, 1500, '1500 registrations over the limit are refused');
    my $refresh_all = sub {
        grep { my $res = refresh($h, $codes[$_]->{client}, $tokens[$_]->{refresh_token});
            $tokens[$_]->{refresh_token} = $json->decode($res->decoded_content)->{refresh_token}
                if $res->code == 200;
            $res->code == 200 } 0 .. 249;
    };
    my $alive = $refresh_all->();
    ok t_cmp($alive, 250, 'after the flood, the 250 grants are alive');

    # A user minting under a limit no one reaches rewrites a counter at
    # every mint; counters have a segment of their own, so that churn
    # pushes out no grant.  Windows of one second move the counter to
    # another of shmcb's subcaches every second: in a shared segment the
    # flood would reach the grants of several subcaches, not only the
    # few (one 64th) that share the subcache of one window's counter.
    my $flood = LWP::UserAgent->new(timeout => 20, keep_alive => 1);
    my $minted = grep {
        $flood->request(POST $h->url('/flood/token'), MCPTest::basic('bob'),
            'Content-Type' => 'application/json',
            Content => '{"expiresIn":"PT5M"}')->code == 200 } 1 .. 2000;
    ok t_cmp($minted, 2000, 'one user mints 2000 tokens under a limit never reached');
    $alive = $refresh_all->();
    ok t_cmp($alive, 250, 'after 2000 mints, the 250 grants are alive');
    my ($g0, $busy) = ($codes[0], $tokens[0]->{refresh_token});
    my $rotated = 0;
    for (1 .. 300) {
        my $res = refresh($h, $g0->{client}, $busy);
        last if $res->code != 200;
        $busy = $json->decode($res->decoded_content)->{refresh_token};
        $rotated++;
    }
    ok t_cmp($rotated, 300, 'one grant refreshed 300 times in a row lives on');
}

# --- mcp-token revoke --sub ends the user's grants.
{
    my $g = code_for($h);
    my $tok = $json->decode(redeem($h, $g)->decoded_content);
    my $first = refresh($h, $g->{client}, $tok->{refresh_token});
    ok t_cmp($first->code, 200, 'a refresh before the revocation passes');
    sleep 1;
    my $tool = $ENV{MCP_TOKEN} || "$t/../build/mcp-token";
    system("$tool revoke --file $dir/revoked --sub alice >/dev/null 2>&1") == 0
        or die "mcp-token revoke failed";
    my $next = $json->decode($first->decoded_content)->{refresh_token};
    my $res;
    for (1 .. 30) {   # the file is re-read within a second or two
        $res = refresh($h, $g->{client}, $next);
        last if $res->code != 200;
        $next = $json->decode($res->decoded_content)->{refresh_token};
        select undef, undef, undef, 0.2;
    }
    ok t_cmp($res->code, 400, 'after revoke --sub, the refresh token is refused');
    ok t_cmp(error_of($res), 'invalid_grant', 'as invalid_grant');
    write_file("$dir/revoked", '');
}

# --- restarts with shmcb: every grant ends, graceful or not.
{
    # The emptied revocation file is re-read within a second or two.
    my ($g, $tok);
    for (1 .. 20) {
        $g = code_for($h);
        $tok = $json->decode(redeem($h, $g)->decoded_content);
        last if $tok->{refresh_token};
        select undef, undef, undef, 0.25;
    }
    ok t_cmp(defined $tok->{refresh_token} ? 1 : 0, 1, 'a grant before the restart');
    $h->restart('graceful');
    my $res = refresh($h, $g->{client}, $tok->{refresh_token});
    ok t_cmp($res->code, 400, 'shmcb: after a graceful restart the grant has ended');
    ok t_cmp(error_of($res), 'invalid_grant', 'as invalid_grant: the client asks again');
    my $again = code_for($h, client => $g->{client});
    ok t_cmp(redeem($h, $again)->code, 200, 'a new approval works at once');
}

# --- the code taken at the start has expired by now (60 s).
{
    my $wait = 62 - (time - $started);
    sleep $wait if $wait > 0;
    my $res = redeem($h, $old);
    ok t_cmp($res->code, 400, 'a code older than 60 s is refused');
    ok t_cmp($json->decode($res->decoded_content)->{error_description} // '',
        qr/expired/, 'because it expired');
}
my $log = $h->log;
$h->stop;

# --- mod_socache_dbm: an unknown key is not a failure (registration and
# a code's one redemption work), and a body over 8 KiB is refused.
{
    mkdir "$dir/dbm";
    chmod 0777, "$dir/dbm";   # the workers (nobody) write the files
    my $d = server(modules => "LoadModule socache_dbm_module $m/mod_socache_dbm.so",
        cache => "MCPCredentialsCache dbm:$dir/dbm/store");
    my $res = register($d, {redirect_uris => ['http://127.0.0.1/cb'],
        client_name => 'x' x 9000});
    ok t_cmp($res->code, 400, 'a registration over 8 KiB is refused');
    ok t_cmp(error_of($res), 'invalid_client_metadata', 'as invalid_client_metadata');
    my $g = code_for($d);
    ok t_cmp(redeem($d, $g)->code, 200, 'dbm: a client registers and its code is redeemed');
    ok t_cmp(error_of(redeem($d, $g)), 'invalid_grant', 'dbm: a second redemption is invalid_grant');
    my @counters = glob "$dir/dbm/store.counters*";
    ok t_cmp(scalar @counters > 0 ? 1 : 0, 1,
        'dbm: the registration counters are in a file of their own, beside the records');
    $log .= $d->log;
    $d->stop;
}

# --- with a store outside httpd (memcached), grants survive a restart.
{
    my $mc_port = MCPTest::start_memcached();
    my $d = server(modules => "LoadModule socache_memcache_module $m/mod_socache_memcache.so",
        cache => "MCPCredentialsCache memcache:127.0.0.1:$mc_port");
    # A grant of a year: memcached reads lifetimes over 30 days as an
    # absolute time.
    my $g = code_for($d, lifetime => 'P365D');
    my $tok = $json->decode(redeem($d, $g)->decoded_content);
    $d->restart('restart');
    my $res = refresh($d, $g->{client}, $tok->{refresh_token});
    ok t_cmp($res->code, 200, 'memcache: the grant survives a restart')
        or print STDERR $d->log;
    my $next = $json->decode($res->decoded_content)->{refresh_token} // '';
    ok t_cmp($next ne '' && $next ne $tok->{refresh_token} ? 1 : 0, 1,
        'and its refresh token rotates');

    # --- a shared store is writable by whoever reaches it: records carry
    # a MAC bound to their key, so a write without the secrets, or a valid
    # record copied under another key, revives nothing.
    my $grant_id = sub {
        my ($token) = @_;
        my (undef, $payload) = split /\./, $token;
        $payload =~ tr{-_}{+/};
        return $json->decode(MIME::Base64::decode_base64($payload))->{id};
    };
    my $mc = sub {
        my ($line, $data) = @_;
        my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$mc_port", Timeout => 5)
            or die "memcached: $!";
        print $sock $line, "\r\n", defined $data ? "$data\r\n" : '';
        my $answer = '';
        while (my $l = <$sock>) {
            $answer .= $l;
            last if $l =~ /^(?:END|STORED|NOT_STORED|DELETED|NOT_FOUND|ERROR)\r\n/;
        }
        return $answer;
    };
    my $key = sub { 'mcp-cred:' . unpack('H*', $_[0]) };
    my $ended = $json->decode($res->decoded_content);
    my $id = $grant_id->($ended->{refresh_token});
    ok t_cmp(form_post($d, '/mcp-credentials/oauth/revoke', [token => $ended->{refresh_token},
        client_id => $g->{client}])->code, 200, 'a grant is revoked (its record goes)');
    ok t_cmp($mc->('get ' . $key->("$id:G")), "END\r\n", 'its record is gone from memcached');
    my $forged = join '', map { chr int rand 256 } 1 .. 16;
    ok t_cmp($mc->('set ' . $key->("$id:G") . ' 0 600 16', $forged), "STORED\r\n",
        'a record without the MAC is written into the store');
    ok t_cmp(error_of(refresh($d, $g->{client}, $ended->{refresh_token})), 'invalid_grant',
        'a forged record revives no grant');
    # A live grant's valid record, copied under the ended grant's key.
    my $live = code_for($d);
    my $live_tok = $json->decode(redeem($d, $live)->decoded_content);
    my $valid = $mc->('get ' . $key->($grant_id->($live_tok->{refresh_token}) . ':G'));
    my ($bytes) = $valid =~ /^VALUE \S+ \d+ (\d+)\r\n/;
    my $value = substr $valid, index($valid, "\r\n") + 2, $bytes // 0;
    $mc->('set ' . $key->("$id:G") . " 0 600 " . length($value), $value);
    ok t_cmp(error_of(refresh($d, $g->{client}, $ended->{refresh_token})), 'invalid_grant',
        "another grant's record under this grant's key revives nothing");
    ok t_cmp($d->log, qr/\[mcp_credentials:warn\].*does not carry this server's MAC/,
        'the foreign record is logged');
    $log .= $d->log;
    $d->stop;
}

# --- nothing secret in the error log: no code, no refresh token, no
# access token, no verifier.
ok t_cmp($log =~ /code\.eyJ|refresh\.eyJ|eyJhbGciOi/ ? 1 : 0, 0,
    'no code, refresh token or access token in the error log');
ok t_cmp(index($log, $old->{verifier}) < 0 ? 1 : 0, 1, 'no code verifier in the error log');
