#!/usr/bin/env bash
# Installs the Debian packages tuiles needs to build and test, only those missing.
#
# Idempotent and quiet when everything is present: each package is checked with
# dpkg-query; apt-get update and apt-get install run only when something is
# missing. Works with no terminal (CI). Uses sudo when not run as root.
#
# Also checks that a Go toolchain is present (/usr/local/go/bin/go or go on PATH);
# Go is not a Debian package here (Debian's is too old for go.mod's version).
set -euo pipefail

PACKAGES=(
	build-essential # cgo: gcc, libc headers
	pkg-config      # cgo flags for sqlite3, proj, gdal
	libsqlite3-dev  # github.com/mattn/go-sqlite3 (MBTiles, GeoPackage)
	libproj-dev     # github.com/twpayne/go-proj (CRS transforms)
	proj-data       # PROJ grids and database
	libgdal-dev     # internal/gdal (raster warping, OGR import)
	gdal-bin        # integration tests: gdalinfo, gdal_translate, ogrinfo, ogr2ogr
	python3         # integration tests: OWSLib scripts
	python3-owslib  # integration tests: a real WMS/WMTS/WFS client
	libxml2-utils   # xmllint: XML schema validation in tests (internal/xmlvalid)
	wrk             # make bench: HTTP load against 127.0.0.1
	sqlite3         # inspecting MBTiles/GeoPackage files
	chromium        # integration tests: web maps in headless Chromium (playwright-core)
	ca-certificates # the Go module proxy over HTTPS
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
	if [ "$status" != "install ok installed" ]; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} Debian packages present, nothing to install"
else
	echo "install-deps: installing missing packages: ${missing[*]}"
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=(sudo -n)
		else
			echo "install-deps: not root and sudo is not available; install as root: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" </dev/null
	# Check again: apt-get can succeed and still leave a package unconfigured.
	for pkg in "${missing[@]}"; do
		status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
		if [ "$status" != "install ok installed" ]; then
			echo "install-deps: $pkg is still not installed (status: '${status:-unknown}')" >&2
			exit 1
		fi
	done
	echo "install-deps: installed ${missing[*]}"
fi

# Node.js and npm drive Chromium in the web map tests (playwright-core from
# npm); Debian's packages are used only when the machine has none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "install-deps: installing nodejs and npm"
	as_root=()
	if [ "$(id -u)" -ne 0 ]; then
		as_root=(sudo -n)
	fi
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm </dev/null
fi

# Go toolchain.
GO=""
if [ -x /usr/local/go/bin/go ]; then
	GO=/usr/local/go/bin/go
elif command -v go >/dev/null 2>&1; then
	GO="$(command -v go)"
fi
if [ -z "$GO" ]; then
	want="$(sed -n 's/^go //p' "$(dirname "$0")/../go.mod" 2>/dev/null || true)"
	echo "install-deps: Go is not installed: expected /usr/local/go/bin/go or go on PATH." >&2
	echo "install-deps: install Go ${want:-(the version in go.mod)} or newer from https://go.dev/dl/ into /usr/local/go." >&2
	exit 1
fi
echo "install-deps: using $("$GO" version) ($GO)"
