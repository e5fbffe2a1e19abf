# The mint rate limit on a store shared by several processes (memcache, a
# real memcached on loopback started here): exact on one machine even
# though the provider needs no lock of its own, a key of fixed size
# whatever the user name, and minting refused (503) when the store is
# down rather than unlimited.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use FindBin;
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use lib "$FindBin::Bin/lib";
use MCPTest ();

my $memcached = '/usr/bin/memcached';
plan tests => 11, need { "memcached is installed (make deps)" => -x $memcached };

my $t = MCPTest::t_dir();
my $m = $ENV{MCP_MODDIR} || '/usr/lib/apache2/modules';
my $long_user = 'long-user-' . ('x' x 140);

my $mc_port = MCPTest::start_memcached();

sub server {
    my ($store) = @_;
    return MCPTest::private_httpd(conf => <<"CONF");
# Two processes of 8 threads: the count races between threads and between
# processes unless the store counts atomically (memcache incr and add,
# through APR-util's client; no socache provider is needed).
ServerLimit 2
StartServers 2
MinSpareThreads 16
MaxRequestWorkers 16
MCPCredentialsSigningKey $t/keys/signing.pem
MCPCredentialsRateCache $store
LogLevel warn mcp_credentials:info
@{[ MCPTest::basic_location('/mint', 'MCPCredentialsMintRate 3/1h') ]}
CONF
}

sub mint_code {
    my ($h, $user) = @_;
    my $ua = LWP::UserAgent->new(timeout => 20, keep_alive => 0);
    my $res = $ua->post($h->url('/mint/token'), MCPTest::basic($user),
        'Content-Type' => 'application/json', Content => '{"expiresIn":"P1D"}');
    return $res;
}

{
    my $h = server("memcache:127.0.0.1:$mc_port");

    # A user name of 150 bytes: the provider refuses keys over about 115,
    # so a key made of the name would never be counted.
    my @codes = map { mint_code($h, $long_user)->code } 1 .. 4;
    ok t_cmp("@codes", '200 200 200 429', 'a 150-byte user name is limited like any other');

    # 24 mints at once for one user, limit 3: exactly 3 pass.
    my @kids;
    for my $i (1 .. 24) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            POSIX::_exit(mint_code($h, 'dave')->code == 200 ? 0 : 1);
        }
        push @kids, $pid;
    }
    my $passed = 0;
    for my $pid (@kids) {
        waitpid $pid, 0;
        $passed++ if $? == 0;
    }
    ok t_cmp($passed, 3, '24 concurrent mints against a limit of 3: exactly 3 pass');
    ok t_cmp(mint_code($h, 'erin')->code, 200, 'another user still mints');
    $h->stop;
}

# The store down: minting stops (503, Retry-After), it is never unlimited,
# and the log says why.
{
    my $dead = MCPTest::free_port();
    my $h = server("memcache:127.0.0.1:$dead");
    my $res = mint_code($h, 'alice');
    ok t_cmp($res->code, 503, 'with the store down, a mint is a 503');
    ok t_cmp($res->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After');
    my $data = eval { JSON::PP->new->decode($res->content) } || {};
    ok t_cmp($data->{error} // '', 'temporarily_unavailable', 'and a JSON error');
    ok t_cmp($data->{token}, undef, 'and no token');
    my @codes = map { mint_code($h, 'alice')->code } 1 .. 4;
    ok t_cmp("@codes", '503 503 503 503', 'every mint, not the first few');
    my $log = $h->log;
    ok t_cmp($log, qr/\[mcp_credentials:error\].*store unavailable: MCPCredentialsCache memcache:127\.0\.0\.1:$dead failed/,
        'the error log says why');
    my $outages = () = $log =~ /store unavailable/g;
    ok t_cmp($outages >= 1 && $outages <= 2, 1,
        "one outage line per process (2 processes, 5 mints): $outages");
    my $refusals = () = $log =~ /\[mcp_credentials:info\].*refused to mint: the rate-limit counter of user 'alice' cannot be counted/g;
    ok t_cmp($refusals, 5, 'each refusal says why at info level');
    $h->stop;
}
