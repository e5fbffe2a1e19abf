#!/usr/bin/perl
# Writes a C file that holds the default templates and assets, so the module
# works without any file beside it; MCPCredentialsTemplateDir overrides them.
#   scripts/embed.pl OUT.c FILE...
use strict;
use warnings;
use File::Basename qw(basename);

my ($out, @files) = @ARGV;
open(my $fh, '>', "$out.tmp") or die "embed: cannot write $out.tmp: $!\n";
print $fh "/* Made by scripts/embed.pl from templates/: do not edit. */\n";
print $fh "#include \"mcp_embedded.h\"\n\n";
my @entries;
for my $i (0 .. $#files) {
    open(my $in, '<:raw', $files[$i]) or die "embed: $files[$i]: $!\n";
    local $/;
    my $data = <$in>;
    close $in;
    my @bytes = map { sprintf '0x%02x', ord } split //, $data;
    print $fh "static const unsigned char file_$i\[] = {\n";
    while (my @line = splice(@bytes, 0, 12)) {
        print $fh '    ', join(', ', @line), ",\n";
    }
    print $fh "    0x00};\n\n";
    push @entries, sprintf '    {"%s", file_%d, %d},', basename($files[$i]), $i, length $data;
}
print $fh "const mcp_embedded_file mcp_embedded_files[] = {\n";
print $fh "$_\n" for @entries;
print $fh "    {0, 0, 0}};\n";
close $fh or die "embed: $out.tmp: $!\n";
rename("$out.tmp", $out) or die "embed: $out: $!\n";
