# MCPCredentials On|Off and the ATOTI_MCP_CREDENTIALS_* environment.
#   On serves; Off answers 404 for every path under the location and serves
#   no file in its place; without a directive the environment decides (read
#   once at startup), and a bad value refuses to start.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use HTTP::Request::Common ();
use LWP::UserAgent ();

use MCPTest qw(mint_json basic config_test private_httpd key_path t_dir json);

plan tests => 44;

sub jl { json()->encode($_[0]) }
sub ok_true { my ($c, $name) = @_; ok t_cmp($c ? 1 : 0, 1, $name) }
sub diag { print STDERR map { "# $_\n" } split /\n/, join "", @_ }

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my $index = do {
    open my $fh, '<', t_dir() . '/htdocs/index.html' or die $!;
    local $/;
    <$fh>;
};
my ($index_marker) = $index =~ /(welcome to [^\s<]+)/;
die "no marker in htdocs/index.html" unless $index_marker;

{
    my $res = GET '/control-static.html';
    ok t_cmp($res->content, qr/\Q$index_marker\E/,
        'control: the aliased file is served outside the module');
}

# --- On -------------------------------------------------------------
{
    my $res = GET '/mcp-credentials', basic('alice');
    ok t_cmp($res->code, 200, 'On: the page is served');
    my ($tres, $data) = mint_json('/mcp-credentials', 'alice',
        {expiresIn => 'P7D'});
    ok t_cmp($tres->code, 200, 'On: the token endpoint mints');
}

# --- Off ------------------------------------------------------------
my @off_paths = ('/switched-off', '/switched-off/', '/switched-off/token',
    '/switched-off/jwks.json', '/switched-off/assets/page.css',
    '/switched-off/static.html', '/switched-off/anything/else');
for my $path (@off_paths) {
    my $res = GET $path, basic('alice');
    ok t_cmp($res->code, 404, "Off: GET $path is 404");
}
{
    my $res = POST '/switched-off/token', basic('alice'),
        'Content-Type' => 'application/json',
        content => '{"expiresIn":"P7D"}';
    ok t_cmp($res->code, 404, 'Off: POST /token is 404');
    ok_true !($res->content =~ /"token"/), 'Off: no token is minted';
}
{
    # The location is an Alias of htdocs: had the module declined, the
    # core handler would serve htdocs/index.html here.
    my $res = GET '/switched-off/static.html', basic('alice');
    ok_true !($res->content =~ /\Q$index_marker\E/),
        'Off: the file behind the location is not served';
    ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff',
        'Off: the 404 is the module\'s (nosniff)');
    ok t_cmp($res->header('X-Frame-Options'), 'DENY',
        'Off: the 404 is the module\'s (not frameable)');
}

# --- No directive, no environment variable: Off ------------------------
for my $path ('/by-env', '/by-env/token', '/by-env/static.html') {
    my $res = GET $path;
    ok t_cmp($res->code, 404, "no directive, no env: GET $path is 404");
}
{
    my $res = GET '/by-env/static.html';
    ok_true !($res->content =~ /\Q$index_marker\E/),
        'no directive, no env: the file behind the location is not served';
}

# --- The environment, read at startup ----------------------------------
# A private copy of the signing key (0600, root's): removed once httpd has
# started, to show it is read at configuration time only.
use File::Temp qw(tempdir);
use File::Copy qw(copy);
my $keydir = tempdir(CLEANUP => 1);
my $signing = "$keydir/signing.pem";
copy(key_path('signing.pem'), $signing) or die "copy: $!";
chmod 0600, $signing;
my $t = t_dir();
my $auth = <<"AUTH";
    AuthType Basic
    AuthName "MCP"
    AuthBasicProvider file
    AuthUserFile $t/conf/htpasswd
    Require valid-user
    SetHandler mcp-credentials
AUTH
my $conf = <<"CONF";
MCPCredentialsSigningKey $signing
MCPCredentialsPublicURL https://MCP.Example.com:8443
MCPCredentialsIssuer https://issuer.example
MCPCredentialsAudience atoti
<Location /by-env>
    Require all granted
    SetHandler mcp-credentials
</Location>
<Location /env-auth>
$auth
    MCPCredentialsRolesFrom groupfile $t/conf/groups
</Location>
<Location /forced-off>
$auth
    MCPCredentials Off
</Location>
<Location /own-max>
$auth
    MCPCredentialsMaxLifetime P60D
</Location>
CONF

{
    my ($rc, $out) = config_test($conf,
        env => {ATOTI_MCP_CREDENTIALS_ENABLED => 'bogus'});
    ok_true $rc > 0, 'ATOTI_MCP_CREDENTIALS_ENABLED=bogus: httpd refuses to start';
    ok t_cmp($out, qr/ATOTI_MCP_CREDENTIALS_ENABLED/,
        'the message names the variable');
}
{
    my ($rc, $out) = config_test($conf,
        env => {ATOTI_MCP_CREDENTIALS_MAX_LIFETIME => 'P1Y'});
    ok_true $rc > 0, 'ATOTI_MCP_CREDENTIALS_MAX_LIFETIME=P1Y: httpd refuses to start';
    ok t_cmp($out, qr/ATOTI_MCP_CREDENTIALS_MAX_LIFETIME/,
        'the message names the variable');
}
{
    my ($rc, $out) = config_test($conf,
        env => {ATOTI_MCP_CREDENTIALS_ENABLED => 'true',
                ATOTI_MCP_CREDENTIALS_MAX_LIFETIME => 'P7D'});
    ok t_cmp($rc, 0, 'ENABLED=true and MAX_LIFETIME=P7D: the config passes')
        or diag $out;
}

my $ua = LWP::UserAgent->new(timeout => 10, max_redirect => 0);
my $srv = eval {
    private_httpd(conf => $conf,
        env => {ATOTI_MCP_CREDENTIALS_ENABLED => 'true',
                ATOTI_MCP_CREDENTIALS_MAX_LIFETIME => 'P7D'});
};
diag "private httpd: $@" if $@;
ok_true $srv, 'a private httpd starts with ATOTI_MCP_CREDENTIALS_ENABLED=true';
unlink $signing;

my $mint = sub {
    my ($path, $body) = @_;
    return $ua->request(HTTP::Request::Common::POST($srv->url("$path/token"),
        basic('alice'), 'Content-Type' => 'application/json',
        Content => $body)) if $srv;
    return HTTP::Response->new(599);
};
{
    my $res = $srv ? $ua->get($srv->url('/by-env')) : HTTP::Response->new(599);
    ok t_cmp($res->code, 302,
        'env true: the location without a directive is handled (login redirect)');
    # Percent-encoding is case-insensitive (%2F or %2f).
    ok t_cmp(lc($res->header('Location') // ''),
        lc '/login/index.html?redirectUrl=%2Fby-env',
        'env true: to the login page');
    $res = $srv ? $ua->get($srv->url('/env-auth'), basic('alice'))
                : HTTP::Response->new(599);
    ok t_cmp($res->code, 200, 'env true: the page is served');
    $res = $mint->('/env-auth', '{"expiresIn":"P7D"}');
    ok t_cmp($res->code, 200, 'env true, max P7D: P7D mints');
    my $minted = eval { json()->decode($res->content) } || {};
    my $jti = $minted->{jti} // 'none';
    my $claims = eval { MCPTest::verify_token($minted->{token}, key_path('signing.pem')) }
        || {};
    ok t_cmp($claims->{sub}, 'alice',
        'it signs with the key read at startup (its file is gone since)');
    ok t_cmp($claims->{iss}, 'https://issuer.example', 'MCPCredentialsIssuer sets iss');
    my $aud = $claims->{aud};
    ok t_cmp(ref $aud ? jl($aud) : $aud // '', qr/^(?:atoti|\["atoti"\])$/,
        'MCPCredentialsAudience sets aud');
    ok t_cmp($srv ? $srv->log : '', qr/jti=\Q$jti\E/,
        'the audit line is logged under LogLevel warn');
    $res = $mint->('/env-auth', '{"expiresIn":"P8D"}');
    ok t_cmp($res->code, 400, 'env max P7D applies where no directive does: P8D is 400');
    ok t_cmp($res->content, qr/P7D/, 'the message gives the maximum P7D');
    # Behind a TLS front: the public origin is the configured one.
    my $pub = sub {
        return HTTP::Response->new(599) unless $srv;
        $ua->request(HTTP::Request::Common::POST($srv->url('/env-auth/token'),
            basic('alice'), 'Content-Type' => 'application/json',
            Origin => $_[0], Content => '{"expiresIn":"P1D"}'));
    };
    ok t_cmp($pub->('https://mcp.example.com:8443')->code, 200,
        'MCPCredentialsPublicURL: its origin (any case) may mint');
    ok t_cmp($pub->('http://127.0.0.1:' . ($srv ? $srv->port : 0))->code, 403,
        'MCPCredentialsPublicURL: the origin httpd sees itself as is cross-site then');
    $res = $mint->('/own-max', '{"expiresIn":"P60D"}');
    ok t_cmp($res->code, 200, 'a MCPCredentialsMaxLifetime directive wins over the env');
    $res = $srv ? $ua->get($srv->url('/forced-off'), basic('alice'))
                : HTTP::Response->new(599);
    ok t_cmp($res->code, 404, 'MCPCredentials Off wins over env true');
    $res = $mint->('/forced-off', '{"expiresIn":"P7D"}');
    ok t_cmp($res->code, 404, 'MCPCredentials Off wins over env true (token)');
}

# ENABLED=false with a directive On: the directive wins.  And no key
# directive is taken from an .htaccess file.
{
    my $htdir = tempdir(CLEANUP => 1);
    chmod 0755, $htdir;
    open my $ht, '>', "$htdir/.htaccess" or die $!;
    print $ht 'MCPCredentialsSigningKey ' . key_path('stranger.pem') . "\n";
    close $ht;
    chmod 0644, "$htdir/.htaccess";
    my $srv2 = eval {
        private_httpd(conf => ($conf =~ s/\Q$signing\E/key_path('signing.pem')/er) . <<"CONF",
<Location /on-anyway>
    Require all granted
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsLoginURL none
</Location>
Alias /ht $htdir
<Directory $htdir>
    AllowOverride All
    Require all granted
</Directory>
CONF
            env => {ATOTI_MCP_CREDENTIALS_ENABLED => 'false'});
    };
    diag "private httpd: $@" if $@;
    my $on = $srv2 ? $ua->get($srv2->url('/on-anyway')) : HTTP::Response->new(599);
    my $off = $srv2 ? $ua->get($srv2->url('/by-env')) : HTTP::Response->new(599);
    ok t_cmp($on->code, 401, 'env false: MCPCredentials On still serves (401 JSON without a user)');
    ok t_cmp($off->code, 404, 'env false: the location without a directive is 404');
    my $htres = $srv2 ? $ua->get($srv2->url('/ht/')) : HTTP::Response->new(599);
    ok t_cmp($htres->code, 500, '.htaccess with MCPCredentialsSigningKey: refused (500)');
    ok t_cmp($srv2 ? $srv2->log : '', qr/MCPCredentialsSigningKey not allowed here/,
        'the log names the directive, not allowed in .htaccess');
    MCPTest::stop_httpds($srv, $srv2);
}
