package main

import "testing"

// pkgVersion spells one version in each format's rules (CONVENTIONS.md,
// "Versions"); a version no format can spell is refused.
func TestPkgVersion(t *testing.T) {
	for _, c := range []struct{ v, format, version, pre, err string }{
		{"1.2.3", "deb", "1.2.3", "", ""},
		{"1.2.3", "apk", "1.2.3", "", ""},
		{"1.2.3-rc1", "deb", "1.2.3", "rc1", ""},
		{"1.2.3-rc1", "apk", "1.2.3", "rc1", ""},
		{"0.0.0-20261126042157-856b5502b338", "deb", "0.0.0", "20261126042157.856b5502b338", ""},
		{"0.0.0-20261126042157-856b5502b338", "rpm", "0.0.0", "20261126042157-856b5502b338", ""},
		{"0.0.0-20261126042157-856b5502b338", "apk", "0.0.0", "pre20261126042157", ""},
		{"1.2.3-foo", "apk", "", "", `version "1.2.3-foo" has no apk spelling (want -alphaN, -betaN, -preN, -rcN or -<date>-<commit>)`},
		{"dev", "deb", "", "", `version "dev" is not N.N.N[-PRERELEASE] (scripts/version prints it from git; elsewhere set VERSION and SOURCE_DATE_EPOCH)`},
	} {
		version, pre, err := pkgVersion(c.v, c.format)
		errs := ""
		if err != nil {
			errs = err.Error()
		}
		if version != c.version || pre != c.pre || errs != c.err {
			t.Errorf("pkgVersion(%q, %s) = %q, %q, %q; want %q, %q, %q", c.v, c.format, version, pre, errs, c.version, c.pre, c.err)
		}
	}
}
