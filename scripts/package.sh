#!/usr/bin/env bash
# Builds `modem` as a standalone binary (the Swift standard library and Foundation linked in
# statically) and packs it with its man page and shell completions:
#
#   scripts/package.sh            # → dist/modem-VERSION-linux-ARCH.tar.gz
#
# The tarball holds bin/modem, bin/ModemKit_ModemHTTP.resources/ (the live view's page, which
# must stay beside the binary), share/man/man1/modem*.1, the bash, zsh and fish completions,
# LICENSE, README.md and CHANGELOG.md. The binary needs only the C library: install it with
#   tar xzf dist/modem-*.tar.gz --strip-components=1 -C ~/.local
#
# Environment: SCRATCH (build directory, default .build-package), DIST (default dist).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-package}
DIST=${DIST:-$ROOT/dist}
cd "$ROOT"

VERSION=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/modem/BuildInfo.swift)
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
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

# The man page first: argument-parser's generate-manual plugin builds every product in release
# (dynamically linked) and reads `modem --experimental-dump-help`. The static link below then
# reuses the same objects.
log "man page (swift package generate-manual)"
swift package --scratch-path "$SCRATCH" --disable-sandbox plugin generate-manual --configuration release \
    --multi-page >&2
MANUALS=$(dirname "$(find "$SCRATCH/plugins" -name 'modem.1' -path '*GenerateManual*' | head -1)")
[ -f "$MANUALS/modem.1" ] || { echo "no man page was generated" >&2; exit 1; }

log "modem $VERSION ($COMMIT), release, --static-swift-stdlib"
swift build --scratch-path "$SCRATCH" -c release --static-swift-stdlib --product modem >&2
BIN=$(swift build --scratch-path "$SCRATCH" -c release --show-bin-path)
restore
trap - EXIT

rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/share/man/man1" "$STAGE/share/bash-completion/completions" \
    "$STAGE/share/zsh/site-functions" "$STAGE/share/fish/vendor_completions.d"
cp "$BIN/modem" "$STAGE/bin/"
strip "$STAGE/bin/modem" 2>/dev/null || true
cp -R "$BIN/ModemKit_ModemHTTP.resources" "$STAGE/bin/"
cp "$MANUALS"/*.1 "$STAGE/share/man/man1/"
"$STAGE/bin/modem" --generate-completion-script bash >"$STAGE/share/bash-completion/completions/modem"
"$STAGE/bin/modem" --generate-completion-script zsh >"$STAGE/share/zsh/site-functions/_modem"
"$STAGE/bin/modem" --generate-completion-script fish >"$STAGE/share/fish/vendor_completions.d/modem.fish"
cp LICENSE README.md CHANGELOG.md "$STAGE/"

tar -C "$DIST" -czf "$DIST/$NAME.tar.gz" "$NAME"
log "$("$STAGE/bin/modem" --version): $DIST/$NAME.tar.gz ($(du -h "$DIST/$NAME.tar.gz" | cut -f1))"
echo "$DIST/$NAME.tar.gz"
