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

my $tests = @mint + 2 * @bearer + 8;
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

ok t_cmp($worst < 500 ? 'no 5xx' : "a $worst", 'no 5xx', 'no request got a 5xx');

my $log = MCPTest::error_log_since($mark);
my @leaked = grep { index($log, substr($_, -40)) >= 0 } @tokens;
ok t_cmp(scalar @leaked, 0, 'the error log holds no token (' . scalar(@tokens) . ' checked)');
