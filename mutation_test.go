package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Issue 17: scripts/mutation is too slow for CI, so CI checks what it can
// cheaply: the script parses, and every entry of the equivalent-mutant
// list names an existing line of a package the script covers, a gremlins
// mutator, and a reason.
func TestMutationScriptAndEquivalents(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "scripts/mutation").CombinedOutput(); err != nil {
		t.Fatalf("bash -n scripts/mutation: %v\n%s", err, out)
	}
	f, err := os.Open("testdata/mutation/equivalent.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entry := regexp.MustCompile(`^((send|queue|mime|sendmail|config|maildrop|internal/crlf)/[a-z_0-9]+\.go):(\d+):(\d+) (ARITHMETIC_BASE|CONDITIONALS_BOUNDARY|CONDITIONALS_NEGATION|INCREMENT_DECREMENT|INVERT_NEGATIVES|INVERT_[A-Z_]+|REMOVE_SELF_ASSIGNMENTS)  (\S.{10,})$`)
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		m := entry.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed entry (want PKG/FILE.go:LINE:COL MUTATOR, two spaces, the reason):\n%s", line)
			continue
		}
		src, err := os.ReadFile(m[1])
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		ln, _ := strconv.Atoi(m[3])
		if ln < 1 || ln > strings.Count(string(src), "\n") {
			t.Errorf("%s: %s has no line %d", line, m[1], ln)
		}
	}
	if n == 0 {
		t.Error("no entries read")
	}
}
