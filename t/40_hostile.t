# Hostile input: every request gets the exact status it must get, none a
# 5xx, and no token ever reaches the error log.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::RSA ();
use FindBin;
use HTTP::Request ();
use LWP::UserAgent ();
use JSON::PP ();
use MIME::Base64 qw(encode_base64url encode_base64);
use lib "$FindBin::Bin/lib";
use MCPTest ();

my $base = '/mcp-credentials';
my $auth = 'Basic ' . encode_base64('alice:alice-pw', '');
my $json = JSON::PP->new->canonical;
my $t = MCPTest::t_dir();
my $signing = Crypt::PK::RSA->new("$t/keys/signing.pem");
my $stranger = Crypt::PK::RSA->new("$t/keys/stranger.pem");
my $kid = do {
    my $res = GET "$base/jwks.json";
    $json->decode($res->content)->{keys}[0]{kid};
};
my $now = time;
my %good = (sub => 'alice', iss => 'activeviam', iat => $now, nbf => $now,
    exp => $now + 600, jti => 'hostile-test', authorities => ['ROLE_USER']);

# A compact JWS with any header and payload text, signed RS512 (or with
# the signature given).
sub jws {
    my ($header, $payload, %o) = @_;
    my $h = ref $header ? $json->encode($header) : $header;
    my $p = ref $payload ? $json->encode($payload) : $payload;
    my $input = encode_base64url($h) . '.' . encode_base64url($p);
    my $sig = exists $o{sig} ? $o{sig}
        : ($o{key} || $signing)->sign_message($input, 'SHA512', 'v1.5');
    return "$input." . encode_base64url($sig);
}

my $rs512 = {alg => 'RS512', typ => 'JWT', kid => $kid};
my @tokens;    # every token sent, to look for in the error log

my @mint = (
    # [name, content type, body, status]
    ['empty body', 'application/json', '', 400],
    ['not JSON', 'application/json', '{expiresIn:P7D}', 400],
    ['a JSON string', 'application/json', '"P7D"', 400],
    ['a JSON array', 'application/json', '["P7D"]', 400],
    ['JSON null', 'application/json', 'null', 400],
    ['a JSON number', 'application/json', '7', 400],
    ['trailing garbage', 'application/json', '{"expiresIn":"P7D"} x', 400],
    ['deeply nested JSON', 'application/json',
        '{"expiresIn":"P7D","authorities":' . ('[' x 3000) . (']' x 3000) . '}', 400],
    ['a raw NUL byte', 'application/json', qq({"expiresIn":"P7D\0"}), 400],
    ['an escaped NUL', 'application/json', '{"expiresIn":"P7D\u0000x"}', 400],
    ['invalid UTF-8 in a string', 'application/json', qq({"expiresIn":"P7D\xff"}), 400],
    ['invalid UTF-8 in a role', 'application/json',
        qq({"expiresIn":"P7D","authorities":["ROLE_\xc3\x28"]}), 400],
    ['a NUL in a role', 'application/json',
        '{"expiresIn":"P7D","authorities":["ROLE_USER\u0000ROLE_ADMIN"]}', 400],
    ['a number for expiresIn', 'application/json', '{"expiresIn":7}', 400],
    ['1e309', 'application/json', '{"expiresIn":1e309}', 400],
    ['2^63 days', 'application/json', '{"expiresIn":"P9223372036854775808D"}', 400],
    ['20-digit duration', 'application/json', '{"expiresIn":"P12345678901234567890D"}', 400],
    ['20-digit seconds', 'application/json', '{"expiresIn":"PT12345678901234567890S"}', 400],
    ['negative duration', 'application/json', '{"expiresIn":"-P1D"}', 400],
    ['zero duration', 'application/json', '{"expiresIn":"PT0S"}', 400],
    ['zero days', 'application/json', '{"expiresIn":"P0D"}', 400],
    ['half a second', 'application/json', '{"expiresIn":"PT0.5S"}', 400],
    ['years', 'application/json', '{"expiresIn":"P1Y"}', 400],
    ['far-future date', 'application/json', '{"expiresAt":"9999-12-31T23:59:59Z"}', 400],
    ['pre-1970 date', 'application/json', '{"expiresAt":"1969-12-31T23:59:59Z"}', 400],
    ['year zero', 'application/json', '{"expiresAt":"0000-01-01T00:00:00Z"}', 400],
    ['February 30th', 'application/json', '{"expiresAt":"2030-02-30T00:00:00Z"}', 400],
    ['date without offset', 'application/json', '{"expiresAt":"2030-01-01T00:00:00"}', 400],
    ['both members', 'application/json', '{"expiresIn":"P7D","expiresAt":"2030-01-01T00:00:00Z"}', 400],
    ['duplicate members', 'application/json', '{"expiresIn":"P7D","expiresIn":"P1D"}', 400],
    ['unknown member', 'application/json', '{"expiresIn":"P7D","sub":"root"}', 400],
    ['authorities not an array', 'application/json', '{"expiresIn":"P7D","authorities":"ROLE_USER"}', 400],
    ['a number as a role', 'application/json', '{"expiresIn":"P7D","authorities":[1]}', 400],
    ['a role not held', 'application/json', '{"expiresIn":"P7D","authorities":["ROLE_ROOT"]}', 400],
    ['text/plain', 'text/plain', '{"expiresIn":"P7D"}', 415],
    ['application/xml', 'application/xml', '<expiresIn>P7D</expiresIn>', 415],
    ['multipart', 'multipart/form-data; boundary=x', "--x\r\n\r\nP7D\r\n--x--\r\n", 415],
    ['application/jsonp', 'application/jsonp', '{"expiresIn":"P7D"}', 415],
    ['a form without CSRF', 'application/x-www-form-urlencoded', 'lifetime=P7D', 403],
    ['a form with bad percent-encoding', 'application/x-www-form-urlencoded', 'lifetime=%zz', 403],
    ['oversized body', 'application/json', '{"expiresIn":"P7D","x":"' . ('a' x 9000) . '"}', 413],
);

my @bearer = (
    # [name, Authorization header value, status]
    ['no scheme', 'abc', 401],
    ['Basic to a bearer resource', $auth, 401],
    ['an empty bearer', 'Bearer ', 401],
    ['two segments', 'Bearer ' . join('.', (split /\./, jws($rs512, \%good))[0, 1]), 401],
    ['four segments', 'Bearer ' . jws($rs512, \%good) . '.AAAA', 401],
    ['empty segments', 'Bearer ..', 401],
    ['an empty payload segment', 'Bearer ' . encode_base64url($json->encode($rs512)) . '..AAAA', 401],
    ['padding', 'Bearer ' . jws($rs512, \%good) . '==', 401],
    ['standard Base64 characters', 'Bearer ' . (jws($rs512, \%good) =~ tr/-_/+\//r), 401],
    ['alg none', 'Bearer ' . jws({alg => 'none', typ => 'JWT'}, \%good, sig => ''), 401],
    ['alg none with a signature', 'Bearer ' . jws({alg => 'none'}, \%good), 401],
    ['HS512 with the public key as secret', 'Bearer ' . encode_jwt(payload => \%good, alg => 'HS512',
        key => $signing->export_key_pem('public'), extra_headers => {kid => $kid}), 401],
    ['RS256 with the right key', 'Bearer ' . encode_jwt(payload => \%good, alg => 'RS256',
        key => $signing, extra_headers => {kid => $kid}), 401],
    ['PS512 with the right key', 'Bearer ' . encode_jwt(payload => \%good, alg => 'PS512',
        key => $signing, extra_headers => {kid => $kid}), 401],
    ['kid with path characters', 'Bearer ' . jws({%$rs512, kid => '../../../etc/passwd'}, \%good), 401],
    ['crit header', 'Bearer ' . jws({%$rs512, crit => ['exp'], exp => 1}, \%good), 401],
    ['header not an object', 'Bearer ' . jws('["RS512"]', \%good), 401],
    ['payload an array', 'Bearer ' . jws($rs512, '[1,2]'), 401],
    ['payload a string', 'Bearer ' . jws($rs512, '"alice"'), 401],
    ['payload not JSON', 'Bearer ' . jws($rs512, 'sub=alice'), 401],
    ['duplicate sub', 'Bearer ' . jws($rs512, '{"sub":"bob","sub":"alice","iss":"activeviam","exp":' . ($now + 600) . '}'), 401],
    ['exp as a string', 'Bearer ' . jws($rs512, {%good, exp => "" . ($now + 600)}), 401],
    ['exp 1e309', 'Bearer ' . jws($rs512, '{"sub":"alice","iss":"activeviam","exp":1e309}'), 401],
    ['no exp', 'Bearer ' . jws($rs512, {sub => 'alice', iss => 'activeviam'}), 401],
    ['expired', 'Bearer ' . jws($rs512, {%good, exp => $now - 3600}), 401],
    ['not yet valid', 'Bearer ' . jws($rs512, {%good, nbf => $now + 3600}), 401],
    ['another issuer', 'Bearer ' . jws($rs512, {%good, iss => 'mallory'}), 401],
    ['a stranger\'s key', 'Bearer ' . jws($rs512, \%good, key => $stranger), 401],
    ['a stranger\'s key without kid', 'Bearer ' . jws({alg => 'RS512'}, \%good, key => $stranger), 401],
    ['a short signature', 'Bearer ' . jws($rs512, \%good, sig => "\x01" x 100), 401],
    ['a NUL in sub', 'Bearer ' . jws($rs512, '{"sub":"alice\u0000admin","iss":"activeviam","exp":' . ($now + 600) . '}'), 401],
    ['a control character in sub', 'Bearer ' . jws($rs512, {%good, sub => "alice\nX-Injected: 1"}), 401],
    ['a token of 7 KB', 'Bearer ' . ('A' x 7000) . '.' . ('A' x 10) . '.' . ('A' x 10), 401],
    ['a token of 100 KB', 'Bearer ' . ('A' x 100_000), 400],
);
my $valid = jws($rs512, \%good);

# --- The classes an outside attack found (each failed before its fix) ----

# Preflights: the token is what a preflight is spared, nothing more.  Each
# [name, path, Origin, status]; every one carries
# Access-Control-Request-Method and a JSON-RPC-shaped header set.
my @preflight = (
    ['a sub-location with Require all denied', '/cors/admin/ok.txt', 'https://app.example', 403],
    ['<RequireAll> with a Require ip that does not match', '/cors/ip/ok.txt', 'https://app.example', 403],
    ['<RequireAny> with a Require ip that does not match', '/cors/any/ok.txt', 'https://app.example', 204],
    ['the guarded location, an allowed origin', '/cors/ok.txt', 'https://app.example', 204],
    ['an allowed origin in other case', '/cors/ok.txt', 'http://other.example:8443', 204],
    ['an origin not allowed', '/cors/ok.txt', 'http://evil', 403],
    ['an allowed origin with a path appended', '/cors/ok.txt', 'https://app.example/x', 403],
    ['no MCPBearerCORSOrigins', '/cors-none/ok.txt', 'https://app.example', 403],
);
# Roles whose text holds the separator of the lists passed on.
my @role_sep = (
    ['one role with a comma', ['ROLE_USER,ROLE_ADMIN']],
    ['a role with a leading space', [' ROLE_ADMIN']],
    ['a role with a trailing tab', ["ROLE_ADMIN\t"]],
    ['a lone comma among good roles', ['ROLE_USER', ',']],
);

my $tests = @mint + 2 * @bearer + 8 + 2 * @preflight + 9 + @role_sep + 3
    + 10;
plan tests => $tests;

my $mark = MCPTest::error_log_mark();
my $worst = 0;

for my $case (@mint) {
    my ($name, $type, $body, $want) = @$case;
    my $res = Apache::TestRequest::POST("$base/token", Authorization => $auth,
        'Content-Type' => $type, content => $body);
    $worst = $res->code if $res->code > $worst;
    ok t_cmp($res->code, $want, "mint, $name");
}

for my $case (@bearer) {
    my ($name, $header, $want) = @$case;
    push @tokens, $header =~ /^Bearer (.{40,})/ ? $1 : ();
    my $res = GET '/guarded/ok.txt', Authorization => $header;
    $worst = $res->code if $res->code > $worst;
    ok t_cmp($res->code, $want, "bearer, $name");
    my $www = $res->header('WWW-Authenticate') // '';
    if ($want == 401) {
        ok t_cmp($www, qr/^Bearer realm="mcp"/, "bearer, $name: challenged");
    } else {
        ok t_cmp($www, '', "bearer, $name: refused by httpd before the module");
    }
}

my $res = GET '/guarded/ok.txt', Authorization => "Bearer $valid";
ok t_cmp($res->code, 200, 'the well-formed token of the same shapes passes');
ok t_cmp($res->content, qr/guarded content/, 'and gets the resource');
push @tokens, $valid;

$res = GET '/guarded-admin/ok.txt', Authorization => "Bearer $valid";
ok t_cmp($res->code, 403, 'a valid token without the authority is a 403');
ok t_cmp($res->header('WWW-Authenticate') // '', qr/error="insufficient_scope"/,
    'with error="insufficient_scope"');

# Chunked and slow bodies, by hand.
my $hp = Apache::TestRequest::hostport();
my $chunk = 'a' x 4000;
my $chunked = "POST $base/token HTTP/1.1\r\nHost: $hp\r\nAuthorization: $auth\r\n"
    . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    . join('', map { sprintf("%x\r\n%s\r\n", length $chunk, $chunk) } 1 .. 3) . "0\r\n\r\n";
$res = MCPTest::raw_request($chunked);
ok t_cmp($res->code, 413, 'a chunked body over the limit is a 413');

my $body = '{"expiresIn":"P7D"}';
$res = do {
    require IO::Socket::INET;
    my ($h, $p) = split /:/, $hp;
    my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p, Timeout => 10);
    print {$s} "POST $base/token HTTP/1.1\r\nHost: $hp\r\nAuthorization: $auth\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n" . substr($body, 0, 5);
    sleep 1;
    print {$s} substr($body, 5);
    local $/;
    my $out = <$s>;
    close $s;
    require HTTP::Response;
    HTTP::Response->parse($out // '');
};
ok t_cmp($res->code, 200, 'a slow but complete body is served');
my $minted = eval { $json->decode($res->content)->{token} } // '';
push @tokens, $minted if $minted;

# --- Preflights -------------------------------------------------------------
sub preflight {
    my ($req) = @_;
    $req->uri('http://' . Apache::TestRequest::hostport() . $req->uri);
    return Apache::TestRequest::user_agent()->request($req);
}
for my $case (@preflight) {
    my ($name, $path, $origin, $want) = @$case;
    my $res = preflight(HTTP::Request->new(OPTIONS => $path, [Origin => $origin,
            'Access-Control-Request-Method' => 'POST',
            'Access-Control-Request-Headers' => 'authorization, content-type']));
    $worst = $res->code if $res->code > $worst;
    ok t_cmp($res->code, $want, "preflight, $name");
    ok t_cmp($res->header('WWW-Authenticate') // '', '', "preflight, $name: no challenge");
}
{
    my $res = preflight(HTTP::Request->new(OPTIONS => '/cors/ok.txt', [Origin => 'https://app.example',
            'Access-Control-Request-Method' => 'POST',
            'Access-Control-Request-Headers' => 'authorization']));
    ok t_cmp($res->header('Access-Control-Allow-Origin') // '', 'https://app.example',
        'an answered preflight names the origin');
    ok t_cmp($res->header('Access-Control-Allow-Headers') // '', qr/\bAuthorization\b/,
        'and allows the Authorization header');
    ok t_cmp($res->header('Access-Control-Allow-Methods') // '', qr/\bPOST\b/, 'and POST');
    ok t_cmp($res->header('Allow') // '', '', 'answered by the module, not by a handler');
    ok t_cmp($res->content, '', 'with no body');

    # A preflight with a body is refused, and the body goes nowhere.
    my $body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}';
    my $hp = Apache::TestRequest::hostport();
    $res = MCPTest::raw_request("OPTIONS /cors/ok.txt HTTP/1.1\r\nHost: $hp\r\n"
        . "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n$body");
    ok t_cmp($res->code, 400, 'a preflight that carries a body is a 400');

    # A real request from an allowed origin: refused or served, the browser
    # may read the answer (the challenge is what a client needs to read).
    $res = GET '/cors/ok.txt', Origin => 'https://app.example';
    ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // ''),
        '401 https://app.example', 'a 401 to an allowed origin carries its CORS answer');
    ok t_cmp($res->header('Access-Control-Expose-Headers') // '', qr/WWW-Authenticate/,
        'and exposes the challenge');
    $res = GET '/cors/ok.txt', Origin => 'http://evil', Authorization => "Bearer $valid";
    ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // 'none'),
        '200 none', 'another origin is served without a CORS answer');
}

# --- Roles with the separator --------------------------------------------------
{
    # From a source split at ';': "ROLE_USER,ROLE_ADMIN" is no role.
    my ($r, $d) = MCPTest::mint_json('/roles-sep', 'alice', {expiresIn => 'P1D'});
    ok t_cmp(join('|', @{ ($d && $d->{authorities}) || [] }), 'ROLE_OK|ROLE_LAST',
        'a source value with a comma never becomes a role');
    my $log = MCPTest::error_log_since($mark);
    ok t_cmp($log, qr/role value\(s\) of user 'alice' dropped/, 'and the drop is logged');
    my $bad = jws($rs512, {%good, authorities => ['ROLE_USER,ROLE_ADMIN']});
    push @tokens, $bad;
    my $res = GET '/guarded/ok.txt', Authorization => "Bearer $bad";
    ok t_cmp($res->code, 401, 'a token holding a role with a comma is refused');
}
for my $case (@role_sep) {
    my ($name, $roles) = @$case;
    my $tok = jws($rs512, {%good, authorities => $roles});
    push @tokens, $tok;
    my $res = GET '/guarded/ok.txt', Authorization => "Bearer $tok";
    ok t_cmp($res->code, 401, "bearer, $name");
}

# --- The headers the backend gets, and a page at <Location /> ------------------
# A private httpd: a guarded location proxied to a backend that reflects
# what it received (another virtual host, so nothing strips its headers).
{
    my $t = MCPTest::t_dir();
    my $moddir = $ENV{MCP_MODDIR} || '/usr/lib/apache2/modules';
    my $port = MCPTest::free_port();
    my $backend = MCPTest::free_port();
    my $h = MCPTest::private_httpd(port => $port, conf => <<"CONF");
# mod_dir, as on a stock Debian apache2: a page at <Location /> is still
# the page, not the DocumentRoot's index.html.
LoadModule dir_module $moddir/mod_dir.so
DirectoryIndex index.html
MCPCredentialsSigningKey $t/keys/signing.pem
Listen 127.0.0.1:$backend
<VirtualHost 127.0.0.1:$backend>
    Alias /echo $t/htdocs/guarded
    Header echo ^X-(MCP-User|MCP-Authorities|Role-Source)\$
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    # The page at the root; the later sections override it below them.
@{[ MCPTest::basic_location('/', "MCPCredentialsRolesFrom groupfile $t/conf/groups") ]}    <Location /proxied>
        SetHandler none
        AuthType mcp-bearer
        AuthName "mcp"
        Require valid-user
        MCPBearerPassUser X-MCP-User
        MCPBearerPassAuthorities X-MCP-Authorities
    </Location>
    <Location /proxied-roles>
        SetHandler none
        AuthType None
        Require all granted
        RequestHeader set X-Role-Source ROLE_FROM_HTTPD
        MCPCredentialsRolesFrom header X-Role-Source
    </Location>
    ProxyPass /proxied-roles http://127.0.0.1:$backend/echo
    ProxyPass /proxied http://127.0.0.1:$backend/echo
</VirtualHost>
CONF
    my $ua = LWP::UserAgent->new(timeout => 10);
    # Raw requests: the Connection header exactly as a client sends it.
    my $raw = sub {
        my ($path, @headers) = @_;
        return MCPTest::raw_request(join("\r\n", "GET $path HTTP/1.1",
            "Host: 127.0.0.1:$port", @headers, '', ''),
            hostport => "127.0.0.1:$port", half_close => 1);
    };
    my $res = $raw->('/proxied/ok.txt', "Authorization: Bearer $valid",
        'Connection: keep-alive, X-MCP-User, X-MCP-Authorities');
    ok t_cmp(join(' ', $res->code, $res->header('X-MCP-User') // '',
            $res->header('X-MCP-Authorities') // ''),
        '200 alice ROLE_USER',
        'a client\'s Connection header does not remove the identity headers');
    $res = $raw->('/proxied/ok.txt', "Authorization: Bearer $valid",
        'Connection: close, x_mcp_user');
    ok t_cmp($res->header('X-MCP-User') // '', 'alice', 'nor in another spelling');
    $res = $raw->('/proxied-roles/ok.txt', 'Connection: close, X-Role-Source');
    ok t_cmp($res->header('X-Role-Source') // '', 'ROLE_FROM_HTTPD',
        'nor a role-source header httpd sets');
    my $bad = jws($rs512, {%good, authorities => ['ROLE_USER,ROLE_ADMIN']});
    $res = $ua->get($h->url('/proxied/ok.txt'), Authorization => "Bearer $bad");
    ok t_cmp($res->code . ' ' . ($res->header('X-MCP-Authorities') // 'none'), '401 none',
        'a role with a comma never reaches the backend\'s header');

    # <Location />: the base is the empty prefix.
    $res = $ua->get($h->url('/'), MCPTest::basic('alice'));
    my $html = $res->content;
    ok t_cmp($res->code, 200, '<Location />: the page');
    ok t_cmp($html, qr/action="\/token"/, 'posts to /token');
    ok t_cmp(scalar(() = $html =~ /(?:src|href|action)="\/\//g), 0,
        'and no URL of the page is protocol-relative');
    $res = $ua->post($h->url('/token'), MCPTest::basic('alice'),
        'Content-Type' => 'application/json', Content => '{"expiresIn":"P1D"}');
    ok t_cmp($res->code, 200, 'POST /token mints');
    my ($css) = $html =~ /href="([^"]+\.css)"/;
    $res = $ua->get($h->url($css // '/none.css'), MCPTest::basic('alice'));
    ok t_cmp($res->code, 200, 'the stylesheet is served at its URL');
    $res = $ua->get($h->url('/nothing-here'), MCPTest::basic('alice'));
    ok t_cmp($res->code, 404, 'other paths are not the page');
    $h->stop;
}

ok t_cmp($worst < 500 ? 'no 5xx' : "a $worst", 'no 5xx', 'no request got a 5xx');

my $log = MCPTest::error_log_since($mark);
my @leaked = grep { index($log, substr($_, -40)) >= 0 } @tokens;
ok t_cmp(scalar @leaked, 0, 'the error log holds no token (' . scalar(@tokens) . ' checked)');
