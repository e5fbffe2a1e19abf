# The module loads into httpd, and httpd answers with it.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);

plan tests => 3;

my $res = GET '/mcp-credentials/jwks.json';
ok t_cmp($res->code, 200, 'the module answers: the JWK Set is served');
ok t_cmp($res->header('Content-Type'), 'application/jwk-set+json', 'as a JWK Set');
ok t_cmp($res->content, qr/"alg":"RS512"/, 'holding RS512 keys');
