# Lifetimes: the presets, a custom expiresAt, the simple duration form, the
# maximum (default P365D, P30D at /short) and every refused lifetime.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use POSIX qw(strftime);

use MCPTest qw(mint mint_json decode_token verify_token key_path json);

my @presets = ([P7D => 7], [P30D => 30], [P60D => 60], [P90D => 90],
    [P365D => 365]);

my @refused = (
    # name, base, body, message pattern (undef: any)
    ['P366D beyond the default maximum', '/mcp-credentials',
        {expiresIn => 'P366D'}, qr/P365D|365 days/],
    ['P60D at /short (P30D)', '/short', {expiresIn => 'P60D'},
        qr/P30D|30 days/],
    ['P365D at /short (P30D)', '/short', {expiresIn => 'P365D'},
        qr/P30D|30 days/],
    ['expiresAt beyond the maximum', '/mcp-credentials',
        {expiresAt => iso(time + 366 * 86400)}, qr/P365D|365 days/],
    ['expiresAt beyond /short\'s maximum', '/short',
        {expiresAt => iso(time + 31 * 86400)}, qr/P30D|30 days/],
    ['expiresAt in the past', '/mcp-credentials',
        {expiresAt => iso(time - 3600)}, undef],
    ['expiresAt now - 1 s', '/mcp-credentials',
        {expiresAt => iso(time - 1)}, undef],
    ['zero PT0S', '/mcp-credentials', {expiresIn => 'PT0S'}, undef],
    ['zero P0D', '/mcp-credentials', {expiresIn => 'P0D'}, undef],
    ['zero 0d', '/mcp-credentials', {expiresIn => '0d'}, undef],
    ['negative -P1D', '/mcp-credentials', {expiresIn => '-P1D'}, undef],
    ['negative P-1D', '/mcp-credentials', {expiresIn => 'P-1D'}, undef],
    ['negative -5d', '/mcp-credentials', {expiresIn => '-5d'}, undef],
    ['malformed "abc"', '/mcp-credentials', {expiresIn => 'abc'}, undef],
    ['malformed ""', '/mcp-credentials', {expiresIn => ''}, undef],
    ['combination 1d12h', '/mcp-credentials', {expiresIn => '1d12h'}, undef],
    ['P1Y', '/mcp-credentials', {expiresIn => 'P1Y'}, undef],
    ['P1M', '/mcp-credentials', {expiresIn => 'P1M'}, undef],
    ['P1W', '/mcp-credentials', {expiresIn => 'P1W'}, undef],
    ['malformed expiresAt "tomorrow"', '/mcp-credentials',
        {expiresAt => 'tomorrow'}, undef],
    ['expiresAt without offset', '/mcp-credentials',
        {expiresAt => strftime('%Y-%m-%dT%H:%M:%S', gmtime(time + 86400))},
        undef],
    ['expiresAt month 13', '/mcp-credentials',
        {expiresAt => '2099-13-01T00:00:00Z'}, undef],
    ['expiresAt as a number', '/mcp-credentials',
        {expiresAt => time + 86400}, undef],
    ['expiresIn as a number', '/mcp-credentials',
        {expiresIn => 86400}, undef],
    ['both members', '/mcp-credentials',
        {expiresIn => 'P7D', expiresAt => iso(time + 86400)}, undef],
    ['neither member', '/mcp-credentials', {}, undef],
    ['neither member, authorities only', '/mcp-credentials',
        {authorities => []}, undef],
);

plan tests => 4 * @presets + 12 + 3 * @refused + 1;

sub iso { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) }

my @all;
sub minted {
    my ($base, $body) = @_;
    my ($res, $data) = mint_json($base, 'alice', $body);
    push @all, $res;
    my $claims = {};
    if ($data && $data->{token}) {
        $claims = eval { verify_token($data->{token}, key_path('signing.pem')) }
            || (decode_token($data->{token}))[1];
    }
    return ($res, $data || {}, $claims);
}

# --- Presets ---------------------------------------------------------
for (@presets) {
    my ($iso, $days) = @$_;
    my $before = time;
    my ($res, $data, $c) = minted('/mcp-credentials', {expiresIn => $iso});
    ok t_cmp($res->code, 200, "$iso: 200");
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), $days * 86400,
        "$iso: exp - iat is $days days");
    ok t_cmp($c->{nbf}, $c->{iat}, "$iso: nbf == iat");
    ok t_cmp((abs(($c->{iat} // 0) - $before) <= 5) ? 1 : 0, 1,
        "$iso: iat is now");
}

# --- "1 year" is P365D and the default maximum --------------------------
{
    my ($res, $data, $c) = minted('/mcp-credentials',
        {expiresAt => iso(time + 365 * 86400 - 30)});
    ok t_cmp($res->code, 200, 'expiresAt just under a year: 200');
}

# --- A custom expiresAt with an offset and fractional seconds ------------
{
    my $target = time + 10 * 86400 + 123;
    # The same instant written at +02:00, with a fraction that is dropped.
    my $at = strftime('%Y-%m-%dT%H:%M:%S', gmtime($target + 7200))
        . '.987654321+02:00';
    my ($res, $data, $c) = minted('/mcp-credentials', {expiresAt => $at});
    ok t_cmp($res->code, 200, "expiresAt $at: 200");
    ok t_cmp($c->{exp}, $target, 'exp is that instant, the fraction truncated');
    ok t_cmp($data->{expiresAt}, iso($target),
        'the answer gives it back in UTC');

    $at = strftime('%Y-%m-%dT%H:%M:%S', gmtime($target - 5 * 3600 - 1800))
        . '-05:30';
    ($res, $data, $c) = minted('/mcp-credentials', {expiresAt => $at});
    ok t_cmp($c->{exp}, $target, "expiresAt $at (negative offset)");

    $at = iso($target) =~ s/Z$/.5Z/r;
    ($res, $data, $c) = minted('/mcp-credentials', {expiresAt => $at});
    ok t_cmp($c->{exp}, $target, "expiresAt $at (Z with a fraction)");
}

# --- The simple form ----------------------------------------------------
{
    my ($res, $data, $c) = minted('/mcp-credentials', {expiresIn => '30d'});
    ok t_cmp($res->code, 200, '"30d": 200');
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), 30 * 86400,
        '"30d" is 30 days');
    ($res, $data, $c) = minted('/mcp-credentials', {expiresIn => '12h'});
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), 12 * 3600,
        '"12h" is 12 hours');
    ($res, $data, $c) = minted('/mcp-credentials', {expiresIn => 'p1dt12h'});
    ok t_cmp(($c->{exp} // 0) - ($c->{iat} // 0), 36 * 3600,
        '"p1dt12h" (lower case ISO) is 36 hours');
    ($res, $data, $c) = minted('/short', {expiresIn => 'P30D'});
    ok t_cmp($res->code, 200, 'P30D at /short (its maximum): 200');
    ($res, $data, $c) = minted('/short', {expiresIn => 'PT720H'});
    ok t_cmp($res->code, 200, 'PT720H (= P30D) at /short: 200');
}

# --- Refused lifetimes -------------------------------------------------
for (@refused) {
    my ($name, $base, $body, $want) = @$_;
    my ($res, $data) = minted($base, $body);
    ok t_cmp($res->code, 400, "$name: 400");
    my $shape = ref $data eq 'HASH' && defined $data->{error}
        && !ref $data->{error} && $data->{error} =~ /\S/
        && defined $data->{message} && !ref $data->{message}
        && $data->{message} =~ /\S/ && !exists $data->{token};
    ok t_cmp($shape ? 1 : 0, 1, "$name: JSON {error, message}, no token");
    ok t_cmp($data->{message} // '', $want // qr/\S/,
        "$name: the message" . ($want ? ' gives the maximum' : ''));
}

# --- Never a 5xx -------------------------------------------------------
ok t_cmp(scalar(grep { $_->code >= 500 } @all), 0,
    'no answer of this file was a 5xx');
