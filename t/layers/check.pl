#!/usr/bin/perl
# The arrows of the house point down: each httpd-facing file may call only
# the files of the layers below its own (mcp_module.h draws them), and the
# routing front may call the page.  Reads the sources; fails on an arrow
# that points sideways or up, or on a file no layer names.
use strict;
use warnings;

my %layer = (
    'mod_mcp_credentials.c' => 5,
    'mcp_endpoint.c' => 4, 'mcp_page.c' => 4, 'mcp_bearer.c' => 4,
    'mcp_metadata.c' => 4, 'mcp_consent.c' => 4, 'mcp_oauth.c' => 4,
    'mcp_mint.c' => 3,
    'mcp_keys.c' => 2, 'mcp_ratelimit.c' => 2, 'mcp_revocation.c' => 2,
    'mcp_grants.c' => 2,
    'mcp_http.c' => 1, 'mcp_config.c' => 1, 'mcp_store.c' => 1,
    'mcp_store_net.c' => 0,
);
# Routing hands the page its requests.
my %allowed = ('mcp_endpoint.c mcp_page.c' => 1,
               'mcp_endpoint.c mcp_consent.c' => 1,
               'mcp_consent.c mcp_page.c' => 1);

my @files = sort(glob('mod_mcp_credentials.c'), glob('mcp_*.c'));
my (%text, %owner, $passed, $failed);
for my $f (@files) {
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $s = <$fh>;
    $s =~ s{/\*.*?\*/}{}gs;
    $text{$f} = $s;
    $owner{$1} = $f while $s =~ /^(?!static)[a-z][^\n;]*?\b(mcp_\w+)\(/mg;
    if (exists $layer{$f}) { $passed++ } else {
        $failed++;
        print "FAIL $f: in no layer (add it to t/layers/check.pl and mcp_module.h)\n";
    }
}
for my $f (@files) {
    next unless exists $layer{$f};
    my %to;
    for my $name (keys %owner) {
        my $o = $owner{$name};
        $to{$o} = 1 if $o ne $f && $text{$f} =~ /\b\Q$name\E\b/;
    }
    for my $o (sort keys %to) {
        if ($layer{$o} < $layer{$f} || $allowed{"$f $o"}) {
            $passed++;
        } else {
            $failed++;
            print "FAIL $f calls $o (layer $layer{$f} -> $layer{$o})\n";
        }
    }
}
print "layers: ", $passed // 0, " passed, ", $failed // 0, " failed\n";
exit($failed ? 1 : 0);
