# MCPCredentialsMintRate: a user may mint N tokens a period, counted across
# every child; then 429 with Retry-After, while other users still mint.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use FindBin;
use lib "$FindBin::Bin/lib";
use MCPTest qw(mint_json);

plan tests => 15;

for my $i (1 .. 3) {
    my ($res, $data) = mint_json('/limited', 'carol', {expiresIn => 'P7D'});
    ok t_cmp($res->code, 200, "mint $i of 3 passes");
}
my ($res, $data) = mint_json('/limited', 'carol', {expiresIn => 'P7D'});
ok t_cmp($res->code, 429, 'the fourth mint within the hour is refused');
ok t_cmp($data && $data->{error}, 'rate_limited', 'with the error code rate_limited');
my $retry = $res->header('Retry-After') // '';
ok $retry =~ /^\d+$/ && $retry >= 1 && $retry <= 3600;
ok t_cmp($res->header('Cache-Control'), 'no-store', 'the refusal is not cached');
ok t_cmp($data && $data->{message}, qr/try again in \d+ seconds/, 'the message says when');

($res) = mint_json('/limited', 'bob', {expiresIn => 'P7D'});
ok t_cmp($res->code, 200, 'another user is not limited by carol');

# Invalid requests are refused before they count.
($res) = mint_json('/limited', 'bob', {expiresIn => 'P9999D'});
ok t_cmp($res->code, 400, 'an invalid request is a 400, not a 429');

# A limit belongs to the directive that sets it.  Alternating between two
# locations limited to 3/1h and 3/P7D gives three mints at each, not
# endless ones (their windows differ: neither may reset the other).
my @seq;
for my $i (1 .. 3) {
    for my $loc ('/limited-a', '/limited-b') {
        my ($r) = mint_json($loc, 'dave', {expiresIn => 'P1D'});
        push @seq, $r->code;
    }
}
ok t_cmp("@seq", '200 200 200 200 200 200', 'three mints at each of two limits, alternating');
($res) = mint_json('/limited-a', 'dave', {expiresIn => 'P1D'});
ok t_cmp($res->code, 429, 'then /limited-a (3/1h) refuses');
($res) = mint_json('/limited-b', 'dave', {expiresIn => 'P1D'});
ok t_cmp($res->code, 429, 'and /limited-b (3/P7D) refuses');

# A permissive location (100/1h, the same window as /limited's 3/1h) does
# not use up the strict one's quota.
for my $i (1 .. 4) {
    ($res) = mint_json('/limited-loose', 'erin', {expiresIn => 'P1D'});
}
ok t_cmp($res->code, 200, 'four mints at the permissive location');
@seq = ();
for my $i (1 .. 4) {
    my ($r) = mint_json('/limited', 'erin', {expiresIn => 'P1D'});
    push @seq, $r->code;
}
ok t_cmp("@seq", '200 200 200 429', 'the strict location still gives its own three');
