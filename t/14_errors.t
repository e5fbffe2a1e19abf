# Every way the endpoint is used wrongly gets its 4xx (never a 5xx), as JSON
# {"error","message"} from the token endpoint; and every answer of the
# module carries the headers that keep a credential out of caches, frames
# and sniffers.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT HEAD);
use LWP::UserAgent ();
use Apache::TestUtil qw(t_cmp);
use HTTP::Request ();
use MIME::Base64 qw(encode_base64);

use MCPTest qw(json basic origin raw_request mint);

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my @all;            # [name, response] of every request
my @module;         # the answers the module itself made

my $T = '/mcp-credentials/token';
my $JSON_OK = '{"expiresIn":"P7D"}';

sub ok_true { my ($c, $name) = @_; ok t_cmp($c ? 1 : 0, 1, $name) }

sub keep { my ($name, $res, $mod) = @_; push @all, [$name, $res];
    push @module, [$name, $res] if $mod // 1; $res }

sub post_token {
    my ($body, %h) = @_;
    $h{'Content-Type'} //= 'application/json';
    return POST $T, basic('alice'), %h, content => $body;
}

sub json_error {
    my ($res) = @_;
    my $d = eval { json()->decode($res->content) };
    return ref $d eq 'HASH' && defined $d->{error} && $d->{error} =~ /\S/
        && defined $d->{message} && $d->{message} =~ /\S/
        && !exists $d->{token}
        && ($res->header('Content-Type') // '') =~ m{^application/json};
}

sub raw {
    my ($name, $head, $body) = @_;
    my $auth = encode_base64('alice:alice-pw', '');
    my $res = raw_request(join("\r\n", @$head,
        'Host: ' . Apache::TestRequest::hostport(),
        "Authorization: Basic $auth", 'Connection: close', '', '')
        . ($body // ''));
    return keep($name, $res);
}

my @json_400 = (
    ['malformed JSON', '{"expiresIn":'],
    ['not JSON at all', 'expiresIn=P7D'],
    ['unknown member', '{"expiresIn":"P7D","scope":"all"}'],
    ['duplicate member', '{"expiresIn":"P7D","expiresIn":"P30D"}'],
    ['duplicate authorities', '{"expiresIn":"P7D","authorities":[],"authorities":["ROLE_USER"]}'],
    ['an array, not an object', '["P7D"]'],
    ['a string, not an object', '"P7D"'],
    ['null', 'null'],
    ['empty body', ''],
    ['data after the object', '{"expiresIn":"P7D"} {}'],
    ['\u0000 in a member name', '{"expiresIn\u0000x":"P7D"}'],
    ['invalid UTF-8', qq({"expiresIn":"P7D\xff"})],
    ['deep nesting', '{"authorities":' . ('[' x 50) . (']' x 50) . ',"expiresIn":"P7D"}'],
);
my @sub_404 = qw(/mcp-credentials/nope /mcp-credentials/token/extra
    /mcp-credentials/tokens /mcp-credentials/assets/nope.css
    /mcp-credentials/token/);

plan tests => 8 + 3 + 2 + 6 + 4 + 5 + 2 * @json_400 + @sub_404 + 9 + 5 + 1 + 1;

# --- 405 with Allow --------------------------------------------------------
my $ua = LWP::UserAgent->new(timeout => 15, max_redirect => 0);
for my $m (qw(GET PUT DELETE)) {
    my $res = keep("$m token", $ua->request(HTTP::Request->new($m,
        Apache::TestRequest::resolve_url($T), [basic('alice')])));
    ok t_cmp($res->code, 405, "$m $T: 405");
    ok_true json_error($res), "$m $T: a JSON error";
    ok t_cmp($res->header('Allow'), qr/^\s*POST\s*$/, "$m $T: Allow: POST");
}
{
    my $res = keep('POST page', POST('/mcp-credentials', basic('alice'),
        'Content-Type' => 'application/json', content => $JSON_OK));
    ok t_cmp($res->code, 405, 'POST on the page: 405');
    ok t_cmp($res->header('Allow') // '', qr/\bGET\b/, 'POST on the page: Allow names GET');
}

# --- 415 -----------------------------------------------------------------
{
    my $res = keep('text/plain', post_token($JSON_OK, 'Content-Type' => 'text/plain'));
    ok t_cmp($res->code, 415, 'text/plain: 415');
    ok_true json_error($res), 'text/plain: a JSON error';
    $res = raw('no content type', ["POST $T HTTP/1.1",
        'Content-Length: ' . length $JSON_OK], $JSON_OK);
    ok t_cmp($res->code, 415, 'no Content-Type: 415');
    $res = keep('json-ish', post_token($JSON_OK,
        'Content-Type' => 'application/json-patch+json'));
    ok t_cmp($res->code, 415, 'application/json-patch+json: 415');
    $res = keep('multipart', post_token($JSON_OK,
        'Content-Type' => 'multipart/form-data; boundary=x'));
    ok t_cmp($res->code, 415, 'multipart/form-data: 415');
    $res = keep('xml', post_token($JSON_OK, 'Content-Type' => 'application/xml'));
    ok t_cmp($res->code, 415, 'application/xml: 415');
}

# --- Accepted content types ------------------------------------------------
{
    my $res = keep('charset', post_token($JSON_OK,
        'Content-Type' => 'application/json; charset=utf-8'));
    ok t_cmp($res->code, 200, 'application/json; charset=utf-8: 200');
    $res = keep('upper', post_token($JSON_OK,
        'Content-Type' => 'Application/JSON;charset=UTF-8'));
    ok t_cmp($res->code, 200, 'Application/JSON;charset=UTF-8: 200');
    my $body = $JSON_OK . (' ' x (8192 - length $JSON_OK));
    $res = keep('8192', post_token($body));
    ok t_cmp($res->code, 200, 'a body of exactly 8192 bytes: 200');
    $res = raw('chunked ok', ["POST $T HTTP/1.1",
        'Content-Type: application/json', 'Transfer-Encoding: chunked'],
        sprintf("%x\r\n%s\r\n0\r\n\r\n", length $JSON_OK, $JSON_OK));
    ok t_cmp($res->code, 200, 'a small chunked body: 200');
}

# --- 413 ------------------------------------------------------------------
{
    my $big = '{"expiresIn":"P7D","authorities":["' . ('A' x 9000) . '"]}';
    my $res = keep('413 CL', post_token($big));
    ok t_cmp($res->code, 413, 'over 8192 bytes with Content-Length: 413');
    ok_true json_error($res), '413: a JSON error';
    $res = raw('413 CL raw', ["POST $T HTTP/1.1", 'Content-Type: application/json',
        'Content-Length: 1000000'], 'x' x 9000);
    ok t_cmp($res->code, 413, 'Content-Length: 1000000 (body not sent): 413 at once');
    my $chunk = 'x' x 4000;
    $res = raw('413 chunked', ["POST $T HTTP/1.1",
        'Content-Type: application/json', 'Transfer-Encoding: chunked'],
        join('', map { sprintf("%x\r\n%s\r\n", length $chunk, $chunk) } 1 .. 3)
        . "0\r\n\r\n");
    ok t_cmp($res->code, 413, 'over 8192 bytes chunked: 413');
    $res = keep('8193', post_token($JSON_OK . (' ' x (8193 - length $JSON_OK))));
    ok t_cmp($res->code, 413, 'a body of 8193 bytes: 413');
}

# --- 400 for bad JSON ------------------------------------------------------
for (@json_400) {
    my ($name, $body) = @$_;
    my $res = keep($name, post_token($body));
    ok t_cmp($res->code, 400, "$name: 400");
    ok_true json_error($res), "$name: JSON {error, message}";
}

# --- 404 for unknown sub-paths -------------------------------------------------
for my $path (@sub_404) {
    my $res = keep("404 $path", GET($path, basic('alice')));
    ok t_cmp($res->code, 404, "GET $path: 404");
}
{
    # "Errors are JSON {error, message}: ... 404 for unknown sub-paths".
    my $res = keep('404 json', GET('/mcp-credentials/nope', basic('alice')));
    ok_true json_error($res), 'an unknown sub-path: 404 as a JSON error';
    $res = keep('405 json', POST('/mcp-credentials/token/extra', basic('alice'),
        'Content-Type' => 'application/json', content => $JSON_OK));
    ok t_cmp($res->code, 404, 'POST to a sub-path of /token: 404, nothing minted');
}

# --- Cross-site ------------------------------------------------------------
{
    my $res = keep('evil origin', post_token($JSON_OK, Origin => 'http://evil.example'));
    ok t_cmp($res->code, 403, 'Origin http://evil.example: 403');
    ok_true json_error($res), 'a JSON error';
    $res = keep('fetch cross-site', post_token($JSON_OK, 'Sec-Fetch-Site' => 'cross-site'));
    ok t_cmp($res->code, 403, 'Sec-Fetch-Site: cross-site: 403');
    $res = keep('null origin', post_token($JSON_OK, Origin => 'null'));
    ok t_cmp($res->code, 403, 'Origin null (sandboxed/opaque): 403');
    my ($host, $port) = split /:/, Apache::TestRequest::hostport();
    $res = keep('other port', post_token($JSON_OK,
        Origin => "http://$host:" . ($port + 1)));
    ok t_cmp($res->code, 403, 'Origin of another port: 403');
    $res = keep('https origin', post_token($JSON_OK, Origin => "https://$host:$port"));
    ok t_cmp($res->code, 403, 'Origin of another scheme: 403');
    $res = keep('same origin', post_token($JSON_OK, Origin => origin()));
    ok t_cmp($res->code, 200, 'Origin ' . origin() . ' (this server): 200');
    $res = keep('same-origin fetch', post_token($JSON_OK, Origin => origin(),
        'Sec-Fetch-Site' => 'same-origin'));
    ok t_cmp($res->code, 200, 'Sec-Fetch-Site: same-origin: 200');
    $res = keep('no origin', post_token($JSON_OK));
    ok t_cmp($res->code, 200, 'no Origin (curl): 200');
}

# --- Headers -----------------------------------------------------------------
{
    my $page = keep('page', GET('/mcp-credentials', basic('alice')));
    ok t_cmp($page->code, 200, 'the page: 200');
    ok t_cmp($page->header('Cache-Control') // '', qr/no-store/, 'the page: no-store');
    my $tok = keep('token', post_token($JSON_OK));
    ok t_cmp($tok->header('Cache-Control') // '', qr/no-store/, 'the token answer: no-store');
    my $err = keep('token 400', post_token('{}'));
    ok t_cmp($err->header('Cache-Control') // '', qr/no-store/, 'a token error: no-store');
    keep('anonymous-none 401', GET('/anonymous-none'));
    keep('anonymous 302', GET('/anonymous'));
    keep('jwks', GET('/mcp-credentials/jwks.json'));
    keep('HEAD page', HEAD('/mcp-credentials', basic('alice')));
    # httpd's own 401 (authentication in front) is the operator's.
    keep('auth 401', GET('/mcp-credentials'), 0);
    ok t_cmp(scalar(@module) > 40 ? 1 : 0, 1, 'many module answers collected');
}

my @missing;
for (@module) {
    my ($name, $res) = @$_;
    my @m;
    push @m, 'nosniff'
        unless ($res->header('X-Content-Type-Options') // '') eq 'nosniff';
    push @m, 'Referrer-Policy'
        unless ($res->header('Referrer-Policy') // '') eq 'no-referrer';
    push @m, 'X-Frame-Options'
        unless ($res->header('X-Frame-Options') // '') =~ /^DENY$/i;
    push @m, "frame-ancestors"
        unless ($res->header('Content-Security-Policy') // '')
            =~ /frame-ancestors 'none'/;
    push @missing, "$name (" . $res->code . "): @m" if @m;
}
print STDERR "# missing: $_\n" for @missing;
ok t_cmp(scalar(@missing), 0,
    'every module answer: nosniff, no-referrer, X-Frame-Options DENY, frame-ancestors none');

# --- Never a 5xx ---------------------------------------------------------------
my @five = map { "$_->[0]: " . $_->[1]->code } grep { $_->[1]->code >= 500 || !$_->[1]->code } @all;
print STDERR "# 5xx: $_\n" for @five;
ok t_cmp(scalar(@five), 0, 'no answer was a 5xx (or no answer)');
