#!/usr/bin/env bash
# Installs the Debian packages that browser tests need (and gdal-bin, whose
# ogr2ogr checks /ogc as QGIS and GDAL read it), when they are missing and this
# user may install them. Elsewhere those tests say why they skip.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: ${missing[*]} missing and cannot be installed here; browser tests will be skipped" >&2
    exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
