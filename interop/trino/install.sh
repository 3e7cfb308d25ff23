#!/usr/bin/env bash
# Installs the Trino server that e2e's TestTrino runs, once, into
# ${TRIBUTARY_CACHE:-~/.cache/tributary}/trino/trino-server-476, and prints
# that directory. The archive (io.trino:trino-server:476:tar.gz, ~820 MB)
# comes from Maven Central through mvn; only bin/, lib/ and the iceberg
# plugin are kept (~480 MB), and the archive is deleted afterwards (from
# ~/.m2 too). The tar links many plugin jars to other plugins' copies, so it
# is unpacked whole into a scratch directory and the kept parts moved out.
set -euo pipefail
version=476
cache="${TRIBUTARY_CACHE:-$HOME/.cache/tributary}/trino"
dest="$cache/trino-server-$version"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$cache"
scratch="$(mktemp -d "$cache/unpack.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mvn -B -ntp -q dependency:copy -Dartifact="io.trino:trino-server:$version:tar.gz" \
  -DoutputDirectory="$scratch" -Dmdep.overWriteReleases=true >&2
tar xzf "$scratch/trino-server-$version.tar.gz" -C "$scratch"
rm -f "$scratch/trino-server-$version.tar.gz"
rm -rf "$HOME/.m2/repository/io/trino/trino-server/$version"
src="$scratch/trino-server-$version"
rm -rf "$dest"
mkdir -p "$dest/plugin"
mv "$src/bin" "$src/lib" "$dest/"
mv "$src/plugin/iceberg" "$dest/plugin/"
touch "$dest/.complete"
echo "$dest"
