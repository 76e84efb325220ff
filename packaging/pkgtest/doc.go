// Package pkgtest holds the tests of what `make packages` builds (issue 15,
// SPEC §8): the .deb installed for real in a throwaway Debian root (mmdebstrap,
// cached, entered with unshare and chroot so the machine's own packages are
// never touched), and the metadata and contents of the .deb, .rpm and .apk.
// They need the dist/ directory: test.sh's packaging step builds it and sets
// OUTBOX_PACKAGE_DIST; without it they skip and say so.
package pkgtest
