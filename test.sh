#!/usr/bin/env bash
# The whole test suite, as README.md documents it and .ci/run calls it.
# Works on a fresh Debian machine with Go: it installs what it needs
# (gnome-keyring and dbus for the real Secret Service, staticcheck), then
# checks formatting, vets, verifies modules, runs every test under a private
# D-Bus session with an unlocked gnome-keyring, and fuzzes each target
# briefly. FUZZTIME=10m ./test.sh for long fuzz runs; FUZZTIME=0 skips them.
set -euo pipefail
cd "$(dirname "$0")"

FUZZTIME=${FUZZTIME:-15s}
export PATH="$(go env GOPATH)/bin:$PATH"

need=()
# For the package tests (packaging/pkgtest): a throwaway Debian root, rpm -qp.
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v rpm >/dev/null || need+=(rpm)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
# Real sendmail -bs clients (issue 14): Symfony Mailer and Python's smtplib.
command -v php >/dev/null || need+=(php-cli)
[ -e /usr/share/php/Symfony/Component/Mailer/autoload.php ] || need+=(php-symfony-mailer)
command -v python3 >/dev/null || need+=(python3)
# For the man page, completion and install tests (they skip without them).
command -v groff >/dev/null || need+=(groff-base)
command -v man >/dev/null || need+=(man-db)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
command -v make >/dev/null || need+=(make)
# systemd-creds, for root's encrypted password (issue 16; the tests use a
# host key and credstore of their own, never the machine's).
command -v systemd-creds >/dev/null || need+=(systemd)
# For the Postfix interop test (issue 13): Postfix with Cyrus SASL. The
# package is installed with debconf's "No configuration": the system
# instance gets no main.cf and is never started; the test runs a private
# instance of its own (own config, queue and ports) and stops it.
postfix_pkgs=()
command -v postfix >/dev/null || postfix_pkgs+=(postfix)
command -v saslpasswd2 >/dev/null || postfix_pkgs+=(sasl2-bin)
compgen -G "/usr/lib/*/sasl2/libplain.so*" >/dev/null || postfix_pkgs+=(libsasl2-modules)
compgen -G "/usr/lib/*/sasl2/libsasldb.so*" >/dev/null || postfix_pkgs+=(libsasl2-modules-db)
need+=("${postfix_pkgs[@]}")
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}" >&2
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
	if [[ " ${need[*]} " == *" postfix "* ]]; then
		echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

echo "== gofmt, go vet, staticcheck, go mod verify"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go vet ./...
staticcheck ./...
go mod verify
# The release tool is its own module (packaging/release, nfpm pinned there):
# ./... above does not reach it.
(cd packaging/release && go vet ./... && staticcheck ./... && go mod verify && go test -count=1 ./...)
echo "== cross-build (CGO_ENABLED=0: linux, darwin, windows, freebsd x amd64, arm64)"
scripts/crossbuild

echo "== go test (real Secret Service under dbus-run-session)"
# The keyring daemon gets a fresh data directory, so it creates an unlocked
# login keyring with our password instead of meeting one made earlier with
# another (which would need a GUI prompt). OUTBOX_TEST_KEYRING=1 turns the
# keyring tests' "skip when unusable" into a failure.
# dbus-daemon's "Failed to set fd limit" warning is harmless.
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" OUTBOX_TEST_KEYRING=1 dbus-run-session -- sh -c '
	printf outbox-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	exec go test -count=1 ./...
' 2> >(grep -v "Failed to set fd limit" >&2)

echo "== packages: make packages, the package tests, two builds byte-identical"
# The .deb is installed in a throwaway Debian root (mmdebstrap, cached in
# ~/.cache/outbox-test; unshare + chroot, the machine's packages untouched).
# Reproducibility: a second build from a copy of the tree in another
# directory, at another time, must give the same SHA256SUMS.
pkg_start=$SECONDS
if ! git rev-parse -q --verify HEAD >/dev/null 2>&1; then
	# Not a git checkout: scripts/version has nothing to read.
	export VERSION=0.0.0-19700101000000-000000000000 COMMIT=000000000000 SOURCE_DATE_EPOCH=0
fi
VERSION=${VERSION:-$(scripts/version)} COMMIT=${COMMIT:-$(scripts/version commit)} \
	SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(scripts/version epoch)}
export VERSION COMMIT SOURCE_DATE_EPOCH
make packages >/tmp/outbox-packages.log 2>&1 || { cat /tmp/outbox-packages.log; exit 1; }
OUTBOX_PACKAGE_DIST="$PWD/dist" go test -count=1 ./packaging/pkgtest/
copy=$(mktemp -d)
tar -C . --exclude=./dist --exclude=./.git -cf - . | tar -C "$copy" -xf -
make -C "$copy" packages >/tmp/outbox-packages.log 2>&1 || { cat /tmp/outbox-packages.log; exit 1; }
if ! cmp -s dist/SHA256SUMS "$copy/dist/SHA256SUMS"; then
	echo "make packages is not reproducible: two builds differ" >&2
	diff dist/SHA256SUMS "$copy/dist/SHA256SUMS" >&2 || true
	exit 1
fi
rm -rf "$copy"
echo "packages: $((SECONDS - pkg_start))s"

if [ "$FUZZTIME" != "0" ]; then
	echo "== fuzz, $FUZZTIME per target"
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
			echo "-- $pkg $target"
			go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=5s "$pkg" >/tmp/outbox-fuzz.log 2>&1 || { cat /tmp/outbox-fuzz.log; exit 1; }
		done
	done
fi
# Mutation testing (issue 17) runs each package's tests once per mutant:
# hours on a small machine, so not here. README "Tests" has the figures.
echo "== not run here: mutation testing; run scripts/mutation (or scripts/mutation PKG, e.g. scripts/mutation send)"
echo "== all checks passed"
