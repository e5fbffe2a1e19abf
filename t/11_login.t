# A visitor without a user: the page redirects to the login URL with the
# base path as redirectUrl (URL-encoded, never taken from the request);
# with MCPCredentialsLoginURL none, a 401 JSON answer; the token endpoint
# never mints without a user.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use URI ();
use URI::Escape qw(uri_unescape);

use MCPTest qw(json origin raw_request);

plan tests => 34;

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

# The redirectUrl of a Location header, decoded, and whether it was
# percent-encoded (no raw '/' or ':' in it).
sub redirect_url {
    my ($loc) = @_;
    return (undef, 0) unless defined $loc && $loc =~ /[?&]redirectUrl=([^&#]*)/;
    my $raw = $1;
    return (uri_unescape($raw), $raw !~ m{[/:?]});
}

{
    my $res = GET '/anonymous';
    ok t_cmp($res->code, 302, 'GET /anonymous without a user: 302');
    my $loc = $res->header('Location') // '';
    ok t_cmp($loc, qr{^/login/index\.html\?redirectUrl=[^&]+$},
        'to /login/index.html with redirectUrl only');
    # %2F and %2f are the same octet; compare case-insensitively.
    ok t_cmp(lc $loc, lc '/login/index.html?redirectUrl=%2Fanonymous',
        'redirectUrl is the URL-encoded base path');
    my ($back, $encoded) = redirect_url($loc);
    ok t_cmp($back, '/anonymous', 'redirectUrl decodes to /anonymous');
    ok t_cmp($encoded ? 1 : 0, 1, 'redirectUrl is percent-encoded');
    ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff',
        'the redirect is the module\'s (nosniff)');
}

# Nothing in the request changes where the visitor is sent back to.
for my $path ('/anonymous?redirectUrl=https://evil.example/',
              '/anonymous?redirectUrl=%2F%2Fevil.example',
              '/anonymous/',
              '//anonymous',
              '/anonymous/./',
              '/anonymous?a=1&redirectUrl=//evil.example&redirectUrl=/x') {
    my $res = GET $path;
    my ($back) = redirect_url($res->header('Location'));
    ok t_cmp($back, '/anonymous', "GET $path: redirectUrl stays /anonymous");
}
{
    my $res = GET '/anonymous', Host => 'evil.example';
    my ($back) = redirect_url($res->header('Location'));
    ok t_cmp($back, '/anonymous',
        'a crafted Host header does not change a local redirectUrl');
    ok t_cmp($res->header('Location'), qr{^/login/},
        'the login URL stays local');
}
{
    # A path that is not the base (a crafted sub-path) is no page: 404,
    # not a redirect that carries it.
    my $res = GET '/anonymous//evil.example';
    ok t_cmp($res->code, 404, 'GET /anonymous//evil.example: 404');
    ok t_cmp($res->header('Location'), undef, 'and no Location');
}

# An absolute login URL: the way back is this server's origin + base.
{
    my $res = GET '/anonymous-abs';
    ok t_cmp($res->code, 302, 'absolute login URL: 302');
    my $loc = $res->header('Location') // '';
    ok t_cmp($loc, qr{^https://login\.example/sso\?redirectUrl=[^&]+$},
        'to the configured login URL');
    my ($back, $encoded) = redirect_url($loc);
    ok t_cmp($back, origin() . '/anonymous-abs',
        'redirectUrl is the origin and the base path');
    ok t_cmp($encoded ? 1 : 0, 1, 'redirectUrl is percent-encoded');
    $res = GET '/anonymous-abs?redirectUrl=https://evil.example/';
    ($back) = redirect_url($res->header('Location'));
    ok t_cmp($back, origin() . '/anonymous-abs',
        'the query does not change it');
}

# A regex location: the base is the path without the sub-path.
{
    for my $path ('/matched', '/matched/') {
        my $res = GET $path;
        my ($back) = redirect_url($res->header('Location'));
        ok t_cmp($back, '/matched', "<LocationMatch>: GET $path redirects back to /matched");
    }
    my $res = POST '/matched/token', 'Content-Type' => 'application/json',
        content => '{"expiresIn":"P7D"}';
    ok t_cmp($res->code, 401, '<LocationMatch>: POST /matched/token is the token endpoint (401)');
}

# MCPCredentialsLoginURL none: 401 JSON.
{
    my $res = GET '/anonymous-none';
    ok t_cmp($res->code, 401, 'GET /anonymous-none without a user: 401');
    ok t_cmp($res->header('Content-Type'), qr{^application/json},
        'as JSON');
    my $data = eval { json()->decode($res->content) } || {};
    ok t_cmp($data->{error}, qr/\S/, 'with an "error" code');
    ok t_cmp($data->{message}, qr/\S/, 'and a "message"');
    ok t_cmp($res->header('Location'), undef, 'no redirect');
}

# The token endpoint never mints without a user.
{
    my $res = POST '/anonymous/token', 'Content-Type' => 'application/json',
        content => '{"expiresIn":"P7D"}';
    ok t_cmp($res->code, 401, 'POST /anonymous/token without a user: 401');
    my $data = eval { json()->decode($res->content) } || {};
    ok t_cmp($data->{error}, qr/\S/, 'a JSON error');
    ok t_cmp(exists $data->{token} ? 1 : 0, 0, 'no token');
    $res = POST '/anonymous-none/token', 'Content-Type' => 'application/json',
        content => '{"expiresIn":"P7D"}';
    ok t_cmp($res->code, 401, 'POST /anonymous-none/token without a user: 401');
    ok t_cmp($res->header('Cache-Control'), qr/no-store/,
        'the 401 of the token endpoint is not stored');
}
