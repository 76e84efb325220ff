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
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
# For the man page, completion and install tests (they skip without them).
command -v groff >/dev/null || need+=(groff-base)
command -v man >/dev/null || need+=(man-db)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}" >&2
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
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
