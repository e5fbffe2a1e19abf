#!/bin/sh
# Writes mcp-token.1 and mod_mcp_credentials.8 into OUTDIR from
# docs/mcp-token.md and docs/directives.md with pandoc.  First it checks that
# those docs name every command and option tools/mcp-token.c defines and
# every directive the module registers: a page cannot fall behind the code
# it describes.
# usage: scripts/man.sh OUTDIR
set -eu
out=${1:?usage: scripts/man.sh OUTDIR}

perl -e '
    sub slurp { local $/; open my $f, "<", $_[0] or die "$_[0]: $!\n"; <$f> }
    my $tool = slurp("tools/mcp-token.c");
    my $tool_doc = slurp("docs/mcp-token.md");
    my $dir_doc = slurp("docs/directives.md");
    my ($names) = $tool =~ /opt_names\[OPT_COUNT\]\s*=\s*\{(.*?)\};/s;
    my @options = ($names // "") =~ /"([a-z-]+)"/g;
    my ($table) = $tool =~ /struct command commands\[\]\s*=\s*\{(.*?)\n\};/s;
    my @commands = ($table // "") =~ /\{"([a-z-]+)"/g;
    my @directives;
    for my $c (glob("mod_mcp_credentials.c mcp_*.c")) {
        push @directives, slurp($c) =~ /AP_INIT_\w+\(\s*"(\w+)"/g;
    }
    die "man: cannot find the options, commands or directives in the sources\n"
        unless @options && @commands && @directives;
    my @missing;
    push @missing, map { "mcp-token --$_" } grep { $tool_doc !~ /--\Q$_\E\b/ } @options;
    push @missing, map { "mcp-token $_" } grep { $tool_doc !~ /^`\Q$_\E[ `]/m } @commands;
    push @missing, grep { $dir_doc !~ /^### .*\b\Q$_\E\b/m } @directives;
    die "man: not documented in docs/: @missing\n" if @missing;
'

version=$(sed -n 's/^#define MCP_TOKEN_VERSION "\(.*\)"$/\1/p' tools/mcp-token.c)
# A package build sets SOURCE_DATE_EPOCH (from debian/changelog): the pages
# are then the same at every build.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -d "@$epoch" +%Y-%m-%d)

mkdir -p "$out"
page() {
    pandoc --from markdown --to man --standalone --shift-heading-level-by=-1 \
        --lua-filter scripts/man.lua \
        -M man-title="$1" -M section="$2" -M header="$3" -M date="$date" \
        -M footer="mod_mcp_credentials $version" -o "$out/$4" "$5"
}
page MCP-TOKEN 1 "User Commands" mcp-token.1 docs/mcp-token.md
page MOD_MCP_CREDENTIALS 8 "System Administration" mod_mcp_credentials.8 \
    docs/directives.md

# lintian's groff-message check, here so that a page troff cannot lay out
# (a table wider than the line) fails the build, not the package's test.
if command -v man >/dev/null 2>&1; then
    for f in "$out/mcp-token.1" "$out/mod_mcp_credentials.8"; do
        msg=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
              man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
        if [ -n "$msg" ]; then
            printf 'man: troff complains about %s:\n%s\n' "$f" "$msg" >&2
            exit 1
        fi
    done
fi
