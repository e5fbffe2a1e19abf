package MCPTest;
# What the .t files share: minting through the endpoint, reading tokens,
# verifying them with an implementation nobody here wrote (Crypt::JWT),
# and testing configurations with `apache2 -t`.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);
use JSON::PP ();
use MIME::Base64 qw(decode_base64url);
use Apache::Test ();
use Apache::TestRequest ();
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::RSA ();

our @EXPORT_OK = qw(mint mint_json decode_token verify_token json
    config_test t_dir key_path public_pem error_log_since error_log_mark
    basic origin raw_request private_httpd free_port csrf_of kid_of
    rfc3339 module_so);

my $JSON = JSON::PP->new->canonical;

sub json { $JSON }

# The httpd the suite runs: a sanitizer or valgrind wrapper when the run
# asked for one (make sanitize, make valgrind).
sub httpd_binary { $ENV{MCP_HTTPD} || '/usr/sbin/apache2' }

sub t_dir { Apache::Test::vars('serverroot') }

sub key_path { t_dir() . "/keys/$_[0]" }

# POSTs a JSON body (a hashref, or raw text) to <base>/token as a user.
#   mint('/mcp-credentials', 'alice', {expiresIn => 'P7D'}, %headers)
sub mint {
    my ($base, $user, $body, %headers) = @_;
    my $content = ref $body ? $JSON->encode($body) : $body;
    my %auth = defined $user
        ? (username => $user, password => "$user-pw") : ();
    $headers{'Content-Type'} //= 'application/json';
    return Apache::TestRequest::POST("$base/token", %auth, %headers,
        content => $content);
}

# The decoded JSON answer of a mint, or undef.
sub mint_json {
    my $res = mint(@_);
    my $data = eval { $JSON->decode($res->content) };
    return ($res, $data);
}

# Header and claims of a compact JWS, without any check.
sub decode_token {
    my ($token) = @_;
    my ($h, $p) = split /\./, $token;
    return ($JSON->decode(decode_base64url($h)),
            $JSON->decode(decode_base64url($p)));
}

# The public key of a PEM private or public key file, as Crypt::PK::RSA.
sub public_pem {
    my ($file) = @_;
    my $pk = Crypt::PK::RSA->new($file);
    return Crypt::PK::RSA->new(\$pk->export_key_pem('public'));
}

# Verifies with Crypt::JWT (RS512 only); returns the claims or dies.
sub verify_token {
    my ($token, $key_file) = @_;
    return decode_jwt(token => $token, key => public_pem($key_file),
        accepted_alg => 'RS512', verify_exp => 1, verify_nbf => 1);
}

# Runs `apache2 -t` on a configuration that loads the module and holds the
# given lines.  Returns (exit status, everything it printed).
sub config_test {
    my (@args) = @_;
    # Another build may be replacing the module right now: wait for it.
    for (1 .. 20) {
        my ($rc, $out) = _config_test(@args);
        return ($rc, $out)
            unless $out =~ /Cannot load \S*mod_mcp_credentials\.so/;
        select undef, undef, undef, 0.5;
    }
    return _config_test(@args);
}

sub _config_test {
    my ($lines, %opt) = @_;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
Include "${\ base_conf()}"
Listen 127.0.0.1:1
$lines
CONF
    close $fh;
    local %ENV = (%ENV, %{ $opt{env} || {} });
    # Bounded: a key that asks for a passphrase must not hang the suite.
    my $out = '';
    my $pid = open(my $ph, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        exec httpd_binary(), '-f', "$dir/httpd.conf", '-t';
        exit 127;
    }
    my $timed_out = 0;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($opt{timeout} || 20);
        local $/;
        $out = <$ph> // '';
        alarm 0;
    };
    alarm 0;
    if ($@) {
        $timed_out = 1;
        kill 'KILL', $pid;
    }
    close $ph;
    my $status = $? >> 8;
    return ($timed_out ? -1 : $status, $timed_out ? "TIMEOUT $out" : $out);
}

# The error log's size now, and what was written after such a mark.
sub error_log_mark {
    my $log = t_dir() . '/logs/error_log';
    return -s $log || 0;
}

sub error_log_since {
    my ($mark) = @_;
    my $log = t_dir() . '/logs/error_log';
    open my $fh, '<', $log or return '';
    seek $fh, $mark, 0;
    local $/;
    return <$fh> // '';
}

# The Authorization header of a user of t/conf/htpasswd, sent at once
# (without waiting for the 401 challenge).
sub basic {
    my ($user) = @_;
    require MIME::Base64;
    return (Authorization => 'Basic '
        . MIME::Base64::encode_base64("$user:$user-pw", ''));
}

# This server's origin as a browser on it would send it.
sub origin {
    return 'http://' . Apache::TestRequest::hostport();
}

sub module_so { t_dir() . '/../.libs/mod_mcp_credentials.so' }

# The opening block and the modules of every test httpd (the module too):
# t/harness/base.conf.in, written here by t/run-apache-test.sh.
sub base_conf { t_dir() . '/conf/base.conf' }

# Sends raw bytes to the test server and parses what comes back (the
# connection is closed by the request, so the answer ends at EOF).
# Bounded: 20 s at most.
sub raw_request {
    my ($bytes, %opt) = @_;
    require IO::Socket::INET;
    require HTTP::Response;
    my ($host, $port) = split /:/, ($opt{hostport}
        || Apache::TestRequest::hostport());
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
        Proto => 'tcp', Timeout => 10) or die "connect $host:$port: $!";
    my $out = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 20;
        local $SIG{PIPE} = 'IGNORE';
        print {$sock} $bytes;
        shutdown($sock, 1) if $opt{half_close};
        while (1) {
            my $n = sysread($sock, my $buf, 65536);
            last unless $n;
            $out .= $buf;
        }
        alarm 0;
    };
    alarm 0;
    close $sock;
    return HTTP::Response->parse($out);
}

# A <Location> where the suite's users sign in with Basic authentication
# and the module serves the page, with the directives given after it.
sub basic_location {
    my ($path, @lines) = @_;
    my $t = t_dir();
    return join("\n", "<Location $path>", '    AuthType Basic',
        '    AuthName "MCP credentials"', '    AuthBasicProvider file',
        "    AuthUserFile $t/conf/htpasswd", '    Require valid-user',
        '    SetHandler mcp-credentials', '    MCPCredentials On',
        (map { "    $_" } @lines), '</Location>') . "\n";
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
# memcached on a free loopback port, as nobody, stopped when the test
# ends; returns the port.
my @memcached_pids;
END { for (@memcached_pids) { kill 'TERM', $_; waitpid $_, 0 } }
sub start_memcached {
    require IO::Socket::INET;
    require POSIX;
    my $port = free_port();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        { exec '/usr/bin/memcached', '-l', '127.0.0.1', '-p', $port, '-U', '0',
            '-u', 'nobody', '-m', '16' };
        POSIX::_exit(127);
    }
    push @memcached_pids, $pid;
    for (1 .. 50) {
        return $port if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
            Timeout => 1);
        select undef, undef, undef, 0.1;
    }
    die "memcached did not start on port $port";
}

sub free_port {
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Listen => 1, ReuseAddr => 1) or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Starts a second httpd of our own (module loaded, Basic auth available)
# on a free loopback port with the given configuration lines and
# environment (and on the given port, if one is); returns an object with ->port, ->url(PATH), ->log and
# ->stop (also run when it goes out of scope).  Dies when it does not
# answer within 15 s.
sub private_httpd {
    my (%opt) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $port = $opt{port} || free_port();
    my $t = t_dir();
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
Include "${\ base_conf()}"
Listen 127.0.0.1:$port
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
DocumentRoot "$t/htdocs"
$opt{conf}
CONF
    close $fh;
    my $rc;
    {
        local %ENV = (%ENV, %{ $opt{env} || {} });
        delete $ENV{$_} for grep { !defined $ENV{$_} } keys %ENV;
        $rc = system(httpd_binary() . " -f $dir/httpd.conf -k start "
            . ">$dir/start.out 2>&1 </dev/null");
    }
    my $self = bless { dir => $dir, port => $port }, 'MCPTest::Httpd';
    die "private httpd did not start: " . $self->log . _slurp("$dir/start.out")
        if $rc != 0;
    # Ready when it answers HTTP: the socket listens before httpd has
    # read its configuration the second time (and before any child runs).
    require IO::Socket::INET;
    my $until = time + 15;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Proto => 'tcp', Timeout => 1);
        if ($s) {
            my $got = '';
            eval {
                local $SIG{ALRM} = sub { die "timeout\n" };
                alarm 3;
                print {$s} "HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                sysread($s, $got, 12);
                alarm 0;
            };
            alarm 0;
            close $s;
            return $self if $got =~ m{^HTTP/};
        }
        select undef, undef, undef, 0.1;
    }
    $self->stop;
    die "private httpd on port $port did not answer";
}

sub _slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh> // '';
}

# The csrf value of a rendered page, or undef.
sub csrf_of {
    my ($html) = @_;
    return $html =~ /<input type="hidden" name="csrf" value="([^"]*)"/
        ? $1 : undef;
}

# RFC 7638 thumbprint of the public part of a PEM key file.
sub kid_of {
    my ($file) = @_;
    return public_pem($file)->export_key_jwk_thumbprint('SHA256');
}

# "YYYY-MM-DDTHH:MM:SSZ" of an epoch second.
sub rfc3339 {
    my @t = gmtime $_[0];
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900,
        $t[4] + 1, @t[3, 2, 1, 0];
}

package MCPTest::Httpd;

sub port { $_[0]{port} }
sub url  { "http://127.0.0.1:$_[0]{port}$_[1]" }
sub log  { MCPTest::_slurp("$_[0]{dir}/error_log") }

# Restarts it (-k graceful or -k restart) and waits until a child of the
# new generation answers: the error log says so.
sub restart {
    my ($self, $how) = @_;
    my $log = "$self->{dir}/error_log";
    my $before = () = MCPTest::_slurp($log) =~ /resuming normal operations/g;
    system(MCPTest::httpd_binary() . " -f $self->{dir}/httpd.conf -k $how "
        . ">>$self->{dir}/start.out 2>&1 </dev/null") == 0
        or die "httpd -k $how failed: " . MCPTest::_slurp("$self->{dir}/start.out");
    for (1 .. 150) {
        my $now = () = MCPTest::_slurp($log) =~ /resuming normal operations/g;
        return 1 if $now > $before;
        select undef, undef, undef, 0.1;
    }
    die "httpd did not come back after -k $how";
}

# Stops the httpd this object started (by the pid it wrote), waiting at
# most 10 s for it to go.
sub stop { MCPTest::stop_httpds($_[0]) }

# Stops several at once: each shutdown takes httpd a second or two.
sub MCPTest::stop_httpds {
    my @pids;
    for my $self (grep { $_ && !$_->{stopped}++ } @_) {
        my ($pid) = MCPTest::_slurp("$self->{dir}/httpd.pid") =~ /(\d+)/;
        next unless $pid;
        kill 'TERM', $pid;
        push @pids, $pid;
    }
    for (1 .. 100) {
        @pids = grep { kill 0, $_ } @pids;
        last unless @pids;
        select undef, undef, undef, 0.05;
    }
    kill 'KILL', @pids if @pids;
}

sub DESTROY { $_[0]->stop }

1;
