# The page: the user and roles escaped, the presets and their labels, the
# assets (hashed names cached for a year, ETag), a strict CSP without inline
# script, and the form post that works without JavaScript, guarded by a
# per-user CSRF token.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use HTML::Entities qw(decode_entities);
use Time::Local qw(timegm);
use URI::Escape qw(uri_escape);

use MCPTest qw(basic csrf_of verify_token decode_token key_path json origin);

plan tests => 83;

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

sub ok_true { my ($c, $name) = @_; ok t_cmp($c ? 1 : 0, 1, $name) }
sub jl { json()->encode($_[0]) }

my $signing = key_path('signing.pem');
my $FORM = 'application/x-www-form-urlencoded';

sub form_post {
    my ($base, $user, $fields, %h) = @_;
    my $body = join '&', map { uri_escape($_->[0]) . '=' . uri_escape($_->[1]) }
        @$fields;
    return POST "$base/token", basic($user), 'Content-Type' => $FORM, %h,
        content => $body;
}

sub token_in {
    my ($html) = @_;
    return $html =~ m{<textarea id="token"[^>]*>([^<]*)</textarea>} ? $1 : '';
}

sub page_of { my ($base, $user) = @_; GET $base, basic($user) }

# --- The user, escaped ---------------------------------------------------------
{
    my $odd = '<img src=x onerror=alert(1)>';
    my $res = page_of('/mcp-credentials', $odd);
    my $html = $res->content;
    ok t_cmp($res->code, 200, 'the page for a user named with markup');
    ok t_cmp(index($html, $odd), -1, 'the raw name appears nowhere');
    ok t_cmp(index($html, '<img'), -1, 'no <img in the page at all');
    ok t_cmp($html, qr{<strong id="user">&lt;img src=x onerror=alert\(1\)&gt;</strong>},
        'the name is shown as text (&lt;img...&gt;)');
}

# --- The page of alice ------------------------------------------------------------
my $page = page_of('/mcp-credentials', 'alice');
my $html = $page->content;
ok t_cmp($page->code, 200, 'alice: the page');
ok t_cmp($page->header('Content-Type'), qr{^text/html}, 'HTML');
ok t_cmp($html, qr{<strong id="user">alice</strong>}, 'it shows the user');

my %labels = $html =~ m{<label for="lifetime-([^"]+)">([^<]*)</label>}g;
ok t_cmp(jl([@labels{qw(P7D P30D P60D P90D P365D custom)}]),
    jl(['7 days', '30 days', '60 days', '90 days', '1 year', 'Custom date']),
    'preset labels: 7 days, 30 days, 60 days, 90 days, 1 year, Custom date');
my @values = $html =~ m{<input type="radio" name="lifetime" id="lifetime-[^"]+" value="([^"]+)"}g;
ok t_cmp(jl(\@values), jl([qw(P7D P30D P60D P90D P365D custom)]),
    'preset values: P7D P30D P60D P90D P365D (1 year is P365D) and custom');
my @disabled = $html =~ m{<input type="radio" name="lifetime" id="lifetime-([^"]+)"[^>]*\bdisabled\b}g;
ok t_cmp(jl(\@disabled), '[]', 'under the default maximum no preset is disabled');
ok t_cmp($html, qr{<input type="date" name="date"}, 'a date input for the custom date');
my @roles = map { decode_entities($_) }
    $html =~ m{<input type="checkbox" name="authorities" id="role-\d+" value="([^"]*)"}g;
ok t_cmp(jl(\@roles), jl(['ROLE_USER', 'ROLE_ADMIN']), 'it lists alice\'s roles');
my $csrf = csrf_of($html);
ok t_cmp($csrf // '', qr/^\d+\.[A-Za-z0-9_-]{20,}$/, 'the form carries a csrf value');
ok t_cmp($html, qr{<form id="mint-form" method="post" action="/mcp-credentials/token"},
    'the form posts to the token endpoint');

# --- /short: presets beyond P30D are disabled -------------------------------
{
    my $short = page_of('/short', 'alice')->content;
    my @dis = $short =~ m{<input type="radio" name="lifetime" id="lifetime-([^"]+)"[^>]*\bdisabled\b}g;
    ok t_cmp(jl(\@dis), jl([qw(P60D P90D P365D)]), '/short (P30D): 60 days, 90 days, 1 year disabled');
    my @checked = $short =~ m{<input type="radio" name="lifetime" id="lifetime-([^"]+)"[^>]*\bchecked\b}g;
    ok t_cmp(jl(\@checked), jl(['P30D']), '/short: 30 days is chosen');
    ok t_cmp($short, qr/30 days|P30D/, '/short: the page states the maximum');
    my %l = $short =~ m{<label for="lifetime-([^"]+)">([^<]*)</label>}g;
    ok t_cmp($l{P365D}, '1 year', '/short: the disabled presets keep their labels');
}

# --- Security headers and CSP of the page ------------------------------------
{
    my $csp = $page->header('Content-Security-Policy') // '';
    ok t_cmp($csp, qr/script-src 'self'/, "CSP: script-src 'self'");
    ok t_cmp($csp, qr/frame-ancestors 'none'/, "CSP: frame-ancestors 'none'");
    ok t_cmp($csp =~ /unsafe-inline|unsafe-eval|\*/ ? 1 : 0, 0,
        'CSP: no unsafe-inline, unsafe-eval or wildcard');
    ok t_cmp($csp, qr/default-src 'none'/, "CSP: default-src 'none'");
    ok t_cmp(scalar(() = $html =~ /<script(?![^>]*\ssrc=)[^>]*>/gi), 0,
        'no inline <script> (every script has a src)');
    ok t_cmp(scalar(() = $html =~ /<[a-z][^>]*\son[a-z]+\s*=/gi), 0,
        'no inline event handler attribute');
    ok t_cmp(scalar(() = $html =~ /<style|\sstyle\s*=/gi), 0, 'no inline style');
    ok t_cmp($html =~ /javascript:/i ? 1 : 0, 0, 'no javascript: URL');
    ok t_cmp($page->header('Cache-Control') // '', qr/no-store/, 'the page: no-store');
    ok t_cmp($page->header('X-Frame-Options') // '', 'DENY', 'the page: X-Frame-Options DENY');
}

# --- Assets -------------------------------------------------------------------------
{
    my ($css) = $html =~ m{<link rel="stylesheet" href="([^"]+)"};
    my ($js) = $html =~ m{<script src="([^"]+)"};
    ok t_cmp($css // '', qr{^/mcp-credentials/assets/page\.[0-9a-f]{8,}\.css$},
        'the stylesheet has a hashed name under /mcp-credentials/assets/');
    ok t_cmp($js // '', qr{^/mcp-credentials/assets/page\.[0-9a-f]{8,}\.js$},
        'the script has a hashed name under /mcp-credentials/assets/');
    for ([css => $css, qr{^text/css}], [js => $js, qr{^(?:text|application)/javascript}]) {
        my ($what, $url, $type) = @$_;
        $url //= '/none';
        my $res = GET $url, basic('alice');
        ok t_cmp($res->code, 200, "$what: 200");
        ok t_cmp($res->header('Content-Type') // '', $type, "$what: its type");
        ok t_cmp($res->header('Cache-Control') // '', qr/max-age=31536000/,
            "$what: cached for a year");
        my $etag = $res->header('ETag');
        ok t_cmp($etag // '', qr/^(?:W\/)?"[^"]+"$/, "$what: an ETag");
        my $again = GET $url, basic('alice'), 'If-None-Match' => $etag // '"x"';
        ok t_cmp($again->code, 304, "$what: 304 on If-None-Match");
        ok t_cmp($again->content, '', "$what: 304 without a body");
        my $other = GET $url, basic('alice'), 'If-None-Match' => '"other"';
        ok t_cmp($other->code, 200, "$what: 200 for another ETag");
        ok t_cmp($res->header('X-Content-Type-Options') // '', 'nosniff', "$what: nosniff");
    }
    my $js_text = GET($js // '/none', basic('alice'))->content;
    ok t_cmp($js_text, qr/getElementById\('mint-form'\)/, 'the script is the page\'s');
}

# --- The form post without JavaScript ----------------------------------------------
{
    my $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'P7D']]);
    ok t_cmp($res->code, 200, 'form post (csrf, lifetime=P7D): 200');
    ok t_cmp($res->header('Content-Type') // '', qr{^text/html}, 'an HTML page');
    ok t_cmp($res->header('Cache-Control') // '', qr/no-store/, 'not stored');
    my $token = token_in($res->content);
    my $c = eval { verify_token($token, $signing) } || {};
    ok t_cmp($c->{sub}, 'alice', 'it shows a token that verifies, for alice');
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), 7 * 86400, 'for 7 days');
    ok t_cmp(jl($c->{authorities}), jl(['ROLE_USER', 'ROLE_ADMIN']),
        'with all her roles (the form named none)');
    ok t_cmp($res->content, qr{<code id="jti">\Q@{[$c->{jti} // 'none']}\E</code>},
        'the page shows its jti');

    # What a browser sends: every field of the form, one role unchecked.
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [tz => 'Z'], [roles_shown => 1],
         [authorities => 'ROLE_USER'], [lifetime => 'P30D'], [date => '']],
        Origin => origin());
    $c = eval { verify_token(token_in($res->content), $signing) } || {};
    ok t_cmp($res->code, 200, 'the full form of a browser: 200');
    ok t_cmp(jl($c->{authorities}), jl(['ROLE_USER']), 'the checked role only');
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), 30 * 86400, '30 days');

    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [roles_shown => 1], [lifetime => 'P7D']]);
    $c = eval { verify_token(token_in($res->content), $signing) } || {};
    ok t_cmp(jl($c->{authorities}), '[]', 'every role unchecked: authorities []');
}

# --- CSRF ---------------------------------------------------------------------------------
{
    my $res = form_post('/mcp-credentials', 'alice', [[lifetime => 'P7D']]);
    ok t_cmp($res->code, 403, 'form post without csrf: 403');
    ok t_cmp(token_in($res->content), '', 'no token');

    my $bob_csrf = csrf_of(page_of('/mcp-credentials', 'bob')->content) // '';
    ok_true(length $bob_csrf && $bob_csrf ne ($csrf // ''),
        'bob\'s page carries another csrf value');
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $bob_csrf], [lifetime => 'P7D']]);
    ok t_cmp($res->code, 403, 'alice posting bob\'s csrf: 403');
    ok t_cmp(token_in($res->content), '', 'no token');

    my $forged = ($csrf // '0.x') =~ s/\.(.)/'.' . ($1 eq 'A' ? 'B' : 'A')/er;
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $forged], [lifetime => 'P7D']]);
    ok t_cmp($res->code, 403, 'a tampered csrf: 403');
    my $old = ($csrf // '0.x') =~ s/^(\d+)/$1 - 5/er;
    $res = form_post('/mcp-credentials', 'alice', [[csrf => $old], [lifetime => 'P7D']]);
    ok t_cmp($res->code, 403, 'a csrf of another hour window: 403');
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [csrf => $csrf // ''], [lifetime => 'P7D']]);
    ok t_cmp($res->code, 403, 'csrf given twice: refused (403)');
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'P7D']], Origin => 'http://evil.example');
    ok t_cmp($res->code, 403, 'a valid csrf from a cross-site Origin: 403');
    ok t_cmp(token_in($res->content), '', 'no token');
    ok t_cmp($res->header('Content-Type') // '', qr{^text/html},
        'a refused form post answers with the page, not JSON');
    ok t_cmp($res->content, qr/cross-site requests cannot mint tokens/,
        'saying why, on the page');
    # What a browser sends from a no-referrer page: Origin null, but Fetch
    # Metadata says the post came from the page itself.
    $res = form_post('/mcp-credentials', 'alice', [[csrf => $csrf // ''], [lifetime => 'P7D']],
        Origin => 'null', 'Sec-Fetch-Site' => 'same-origin');
    ok t_cmp($res->code, 200, 'Origin null with Sec-Fetch-Site same-origin: 200');
    $res = form_post('/mcp-credentials', 'alice', [[csrf => $csrf // ''], [lifetime => 'P7D']],
        Origin => 'null');
    ok t_cmp($res->code, 403, 'Origin null without Fetch Metadata: 403');
    $res = form_post('/mcp-credentials', 'alice', [[csrf => $csrf // ''], [lifetime => 'P7D']],
        'Sec-Fetch-Site' => 'same-site');
    ok t_cmp($res->code, 403, 'Sec-Fetch-Site same-site (another origin): 403');
}

# --- The custom date ---------------------------------------------------------------------
{
    my @d = gmtime(time + 10 * 86400);
    my $date = sprintf '%04d-%02d-%02d', $d[5] + 1900, $d[4] + 1, $d[3];
    my $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'custom'], [date => $date], [tz => '+02:00']]);
    my $c = eval { verify_token(token_in($res->content), $signing) } || {};
    ok t_cmp($res->code, 200, "custom date $date at +02:00: 200");
    my $want = timegm(59, 59, 23, $d[3], $d[4], $d[5] + 1900) - 2 * 3600;
    ok t_cmp($c->{exp}, $want, "the token expires at ${date}T23:59:59+02:00");

    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'custom'], [date => $date], [tz => '-05:30']]);
    $c = eval { verify_token(token_in($res->content), $signing) } || {};
    ok t_cmp($c->{exp}, $want + 2 * 3600 + 5 * 3600 + 1800,
        "and at ${date}T23:59:59-05:30 with tz=-05:30");

    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'custom'], [date => $date]]);
    $c = eval { verify_token(token_in($res->content), $signing) } || {};
    ok t_cmp($c->{exp}, $want + 2 * 3600, 'without tz: the end of that day in UTC');

    my $short_csrf = csrf_of(page_of('/short', 'alice')->content) // '';
    @d = gmtime(time + 40 * 86400);
    my $far = sprintf '%04d-%02d-%02d', $d[5] + 1900, $d[4] + 1, $d[3];
    $res = form_post('/short', 'alice',
        [[csrf => $short_csrf], [lifetime => 'custom'], [date => $far], [tz => 'Z']]);
    ok t_cmp($res->code, 400, "/short: custom date $far beyond P30D: 400");
    ok t_cmp($res->content, qr{<p class="error" id="lifetime-error" role="alert">[^<]*(?:P30D|30 days)},
        'the page shows the error with the maximum');
    ok t_cmp(token_in($res->content), '', 'no token');

    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'custom'], [date => '2001-01-01'], [tz => 'Z']]);
    ok t_cmp($res->code, 400, 'a custom date in the past: 400');
    $res = form_post('/mcp-credentials', 'alice',
        [[csrf => $csrf // ''], [lifetime => 'custom'], [date => 'soon'], [tz => 'Z']]);
    ok t_cmp($res->code, 400, 'a malformed custom date: 400');
    $res = form_post('/short', 'alice', [[csrf => $short_csrf], [lifetime => 'P365D']]);
    ok t_cmp($res->code, 400, '/short: a disabled preset posted anyway: 400');
}
