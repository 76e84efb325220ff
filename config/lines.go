package config

import "strings"

// keyLine finds the 1-based line where the dotted key path is defined in
// the TOML text src, or 0. BurntSushi/toml keeps key positions private, so
// this is a small line scanner: it tracks [table] and [[table]] headers,
// reads "a.b = ..." keys (bare, "basic" and 'literal' parts), and skips
// the inside of multi-line strings. When the exact key is not written
// anywhere (a table made by dotted keys, or an inline table), it returns
// the first line that defines something beneath it.
func keyLine(src string, path []string) int {
	return indexKeys(src).line(path)
}

// keyIndex maps joined key paths to the first line defining them (exact)
// or something beneath them (under). Built once per file, so a file with
// many errors costs one scan, not one per error.
type keyIndex struct {
	exact, under map[string]int
}

func joinKey(path []string) string { return strings.Join(path, "\x00") }

func (ix *keyIndex) line(path []string) int {
	if len(path) == 0 {
		return 0
	}
	k := joinKey(path)
	if n, ok := ix.exact[k]; ok {
		return n
	}
	return ix.under[k]
}

func indexKeys(src string) *keyIndex {
	ix := &keyIndex{exact: map[string]int{}, under: map[string]int{}}
	var (
		table    []string
		inString string // closing delimiter of the multi-line string we are in
	)
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if inString != "" {
			if strings.Contains(line, inString) {
				inString = ""
			}
			continue
		}
		s := strings.TrimLeft(line, " \t")
		if s == "" || s[0] == '#' {
			continue
		}
		var keys []string
		var rest string
		switch {
		case strings.HasPrefix(s, "[["):
			k, r, ok := parseKey(s[2:])
			if !ok || !strings.HasPrefix(strings.TrimLeft(r, " \t"), "]]") {
				continue
			}
			table, keys = k, k
		case s[0] == '[':
			k, r, ok := parseKey(s[1:])
			if !ok || !strings.HasPrefix(strings.TrimLeft(r, " \t"), "]") {
				continue
			}
			table, keys = k, k
		default:
			k, r, ok := parseKey(s)
			if !ok {
				continue
			}
			r = strings.TrimLeft(r, " \t")
			if !strings.HasPrefix(r, "=") {
				continue
			}
			rest = r[1:]
			keys = append(append([]string(nil), table...), k...)
		}
		if k := joinKey(keys); ix.exact[k] == 0 {
			ix.exact[k] = n
		}
		for j := 1; j < len(keys); j++ {
			if k := joinKey(keys[:j]); ix.under[k] == 0 {
				ix.under[k] = n
			}
		}
		inString = opensMultiline(rest)
	}
	return ix
}

// parseKey reads a dotted TOML key from the start of s and returns its
// parts and the text after it.
func parseKey(s string) (parts []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var part string
		switch s[0] {
		case '"':
			var b strings.Builder
			j := 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, "", false
			}
			part, s = b.String(), s[j+1:]
		case '\'':
			j := strings.IndexByte(s[1:], '\'')
			if j < 0 {
				return nil, "", false
			}
			part, s = s[1:1+j], s[2+j:]
		default:
			j := 0
			for j < len(s) && isBareKeyByte(s[j]) {
				j++
			}
			if j == 0 {
				return nil, "", false
			}
			part, s = s[:j], s[j:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return parts, s, true
		}
		s = s[1:]
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// opensMultiline reports the delimiter of a multi-line string that the
// value text v opens and does not close on the same line, or "".
func opensMultiline(v string) string {
	for _, d := range []string{`"""`, `'''`} {
		if strings.Count(v, d)%2 == 1 {
			return d
		}
	}
	return ""
}
