# The verified-token cache (MCPBearerCache, on by default) never lets
# through what a fresh verification would refuse: exp and nbf are checked
# on every request, per location, and so are the issuer and the audience.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::RSA ();
use FindBin;
use JSON::PP ();
use lib "$FindBin::Bin/lib";
use MCPTest ();

plan tests => 12;

my $t = MCPTest::t_dir();
my $key = Crypt::PK::RSA->new("$t/keys/signing.pem");
my $kid = JSON::PP->new->decode((GET '/mcp-credentials/jwks.json')->content)
    ->{keys}[0]{kid};
sub token {
    my (%claims) = @_;
    my $now = time;
    return encode_jwt(alg => 'RS512', key => $key,
        extra_headers => {kid => $kid, typ => 'JWT'},
        payload => {sub => 'alice', iss => 'activeviam', iat => $now,
            jti => "cache-$now-" . int(rand 1e9), authorities => [], %claims});
}
sub status { (GET $_[0], Authorization => "Bearer $_[1]")->code }

my $long = token(exp => time + 600);
ok t_cmp(status('/guarded/ok.txt', $long), 200, 'a valid token passes');
ok t_cmp(status('/guarded/ok.txt', $long), 200, 'and again (now from the cache)');
ok t_cmp(status('/guarded-other-issuer/ok.txt', $long), 401,
    'a location that wants another issuer refuses the cached token');
ok t_cmp(status('/guarded/ok.txt', $long), 200, 'the first location still takes it');

# exp two seconds ahead: cached while valid, refused once past, even where
# it was cached.
my $short = token(exp => time + 2);
ok t_cmp(status('/guarded-strict/ok.txt', $short), 200, 'a token about to expire passes');
ok t_cmp(status('/guarded-strict/ok.txt', $short), 200, 'twice');
sleep 3;
ok t_cmp(status('/guarded-strict/ok.txt', $short), 401, 'past exp, without leeway: refused');
ok t_cmp(status('/guarded/ok.txt', $short), 200,
    'within the 60 s leeway of another location: accepted');

# nbf two seconds ahead: refused until then, then accepted.
my $later = token(exp => time + 600, nbf => time + 2);
ok t_cmp(status('/guarded-strict/ok.txt', $later), 401, 'before nbf, without leeway: refused');
ok t_cmp(status('/guarded/ok.txt', $later), 200, 'before nbf, within leeway: accepted (and cached)');
ok t_cmp(status('/guarded-strict/ok.txt', $later), 401,
    'the cached token is still not valid yet where there is no leeway');
sleep 3;
ok t_cmp(status('/guarded-strict/ok.txt', $later), 200, 'after nbf: accepted');
