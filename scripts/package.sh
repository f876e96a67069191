#!/usr/bin/env bash
# Builds `modem` as a standalone binary (the Swift standard library and Foundation linked in
# statically) and packs it with its man page and shell completions:
#
#   scripts/package.sh            # → dist/modem-VERSION-linux-ARCH.tar.gz
#
# The tarball holds bin/modem, bin/ModemKit_ModemHTTP.resources/ (the live view's page, which
# must stay beside the binary), share/man/man1/modem*.1, the bash, zsh and fish completions, and
# share/doc/modem/ (LICENSE, README.md, CHANGELOG.md). The binary needs only the C library: install it with
#   tar xzf dist/modem-*.tar.gz --strip-components=1 -C ~/.local
#
# Environment: SCRATCH (build directory, default .build-package), DIST (default dist), MODEM_COMMIT
# (the commit to stamp when there is no .git, as in a container build; default `git rev-parse HEAD`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-package}
DIST=${DIST:-$ROOT/dist}
cd "$ROOT"

VERSION=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/modem/BuildInfo.swift)
COMMIT=${MODEM_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
ARCH=$(uname -m)
NAME="modem-$VERSION-linux-$ARCH"
STAGE="$DIST/$NAME"
log() { echo "== $*" >&2; }

# The commit goes into the binary for this build only: BuildCommit.swift is put back afterwards.
STAMP=Sources/modem/BuildCommit.swift
ORIGINAL=$(mktemp)
cp "$STAMP" "$ORIGINAL"
restore() { cp "$ORIGINAL" "$STAMP"; rm -f "$ORIGINAL"; }
trap restore EXIT
sed -i "s/static let stamped: String? = nil/static let stamped: String? = \"$COMMIT\"/" "$STAMP"

log "modem $VERSION ($COMMIT), release, --static-swift-stdlib"
swift build --scratch-path "$SCRATCH" -c release --static-swift-stdlib --product modem >&2
# argument-parser's generate-manual tool, built with the same flags (it shares their objects), reads
# `modem --experimental-dump-help` and writes a man page per command.
swift build --scratch-path "$SCRATCH" -c release --static-swift-stdlib --product generate-manual >&2
BIN=$(swift build --scratch-path "$SCRATCH" -c release --static-swift-stdlib --show-bin-path)
restore
trap - EXIT
MANUALS=$(mktemp -d)
"$BIN/generate-manual" "$BIN/modem" --multi-page --output-directory "$MANUALS" >&2

rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/share/man/man1" "$STAGE/share/bash-completion/completions" \
    "$STAGE/share/zsh/site-functions" "$STAGE/share/fish/vendor_completions.d" "$STAGE/share/doc/modem"
cp "$BIN/modem" "$STAGE/bin/"
strip "$STAGE/bin/modem" 2>/dev/null || true
cp -R "$BIN/ModemKit_ModemHTTP.resources" "$STAGE/bin/"
cp "$MANUALS"/*.1 "$STAGE/share/man/man1/"
rm -rf "$MANUALS"
"$STAGE/bin/modem" --generate-completion-script bash >"$STAGE/share/bash-completion/completions/modem"
"$STAGE/bin/modem" --generate-completion-script zsh >"$STAGE/share/zsh/site-functions/_modem"
"$STAGE/bin/modem" --generate-completion-script fish >"$STAGE/share/fish/vendor_completions.d/modem.fish"
cp LICENSE README.md CHANGELOG.md "$STAGE/share/doc/modem/"

tar -C "$DIST" -czf "$DIST/$NAME.tar.gz" "$NAME"
log "$("$STAGE/bin/modem" --version): $DIST/$NAME.tar.gz ($(du -h "$DIST/$NAME.tar.gz" | cut -f1))"
echo "$DIST/$NAME.tar.gz"
