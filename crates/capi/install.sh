#!/usr/bin/env bash
# Installs libSciTokens.so.0, its header and pkg-config file under PREFIX.
#
#   crates/capi/install.sh PREFIX [LIBRARY]
#
# LIBRARY defaults to a fresh release build (target/release/libSciTokens.so). Installs
# PREFIX/lib/libSciTokens.so.0.0.0 with the .so.0 and .so links, PREFIX/include/scitokens/
# scitokens.h and PREFIX/lib/pkgconfig/scitokens.pc. To replace scitokens-cpp for a program
# without installing over the system library, point LD_LIBRARY_PATH at PREFIX/lib.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix=${1:?usage: install.sh PREFIX [LIBRARY]}
library=${2:-}
if [ -z "$library" ]; then
    (cd "$here/../.." && cargo build --release --locked -p scitokens-capi)
    library="$here/../../target/release/libSciTokens.so"
fi
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include/scitokens"
install -m 0755 "$library" "$prefix/lib/libSciTokens.so.0.0.0"
ln -sf libSciTokens.so.0.0.0 "$prefix/lib/libSciTokens.so.0"
ln -sf libSciTokens.so.0 "$prefix/lib/libSciTokens.so"
install -m 0644 "$here/include/scitokens/scitokens.h" "$prefix/include/scitokens/scitokens.h"
sed "s|@PREFIX@|$prefix|" "$here/scitokens.pc.in" > "$prefix/lib/pkgconfig/scitokens.pc"
echo "installed libSciTokens.so.0 into $prefix"
