// Package testuser runs a test's ordinary-user branch for real when the
// suite runs as root (as CI does): the test binary re-runs that one test
// as an unprivileged system user through runuser, so that file modes are
// enforced and "permission denied" paths are exercised on both sides.
// Tests only; see Unprivileged.
package testuser
