#!/usr/bin/perl
# Crypt::JWT side of t/interop/run.sh.
#
#   decode PUBLIC.b64 TOKENFILE         verify RS512 with the public key read
#                                       from Atoti's Base64 DER value; print
#                                       {"header","claims"}
#   sign PRIVATE.pem CLAIMS_JSON KID    print an RS512 token
use strict;
use warnings;

use Crypt::JWT qw(decode_jwt encode_jwt);
use Crypt::PK::RSA;
use JSON::PP;
use MIME::Base64 qw(decode_base64);

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "$path: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text;
}

my ($cmd, @args) = @ARGV;
my $json = JSON::PP->new->canonical;

if ($cmd eq 'decode') {
    my ($key_file, $token_file) = @args;
    # The DER bytes themselves, not a PEM made from them: Atoti's format
    # as it is.
    my $key = Crypt::PK::RSA->new(\decode_base64(slurp($key_file)));
    (my $token = slurp($token_file)) =~ s/\s+\z//;
    my ($header, $claims) = decode_jwt(
        token         => $token,
        key           => $key,
        accepted_alg  => 'RS512',
        decode_header => 1,
        verify_exp    => 1,
    );
    print $json->encode({ header => $header, claims => $claims }), "\n";
}
elsif ($cmd eq 'sign') {
    my ($key_file, $claims, $kid) = @args;
    my $pem = slurp($key_file);
    print encode_jwt(
        payload       => $json->decode($claims),
        alg           => 'RS512',
        key           => \$pem,
        extra_headers => { kid => $kid },
    ), "\n";
}
else {
    die "unknown command $cmd\n";
}
