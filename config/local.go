package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxExpansion bounds alias fan-out, so a few self-multiplying aliases
// can't make ResolveLocal work forever.
const maxExpansion = 10000

// QueueDirectory is the queue directory: queue_dir, else /var/spool/outbox
// when running as root, else $XDG_STATE_HOME/outbox/queue
// (~/.local/state/outbox/queue). It works on a nil *Config (no
// configuration file).
func (c *Config) QueueDirectory() string {
	// OUTBOX_QUEUE_DIR: for one-off runs and for tests that must not touch
	// /var/spool as root; an absolute path only, like queue_dir.
	if d := os.Getenv("OUTBOX_QUEUE_DIR"); filepath.IsAbs(d) {
		return d
	}
	if c != nil && c.QueueDir != "" {
		return c.QueueDir
	}
	if os.Geteuid() == 0 {
		return "/var/spool/outbox"
	}
	return filepath.Join(stateDir(), "outbox", "queue")
}

// StateDirectory is $XDG_STATE_HOME/outbox (~/.local/state/outbox), for
// per-user state such as `outbox run` history and OAuth token files.
func StateDirectory() string { return filepath.Join(stateDir(), "outbox") }

func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h := homeDir(); h != "" {
		return filepath.Join(h, ".local", "state")
	}
	// No home at all: a per-user directory that at least is not shared.
	return filepath.Join(os.TempDir(), fmt.Sprintf("outbox-%d", os.Getuid()))
}

// Domain is the mail domain for local names and Message-IDs:
// default_domain, else the host name (its FQDN when os.Hostname gives one),
// else "localhost". It works on a nil *Config. It does no DNS lookup, so
// it never blocks.
func (c *Config) Domain() string {
	if c != nil && c.DefaultDomain != "" {
		return c.DefaultDomain
	}
	h, err := os.Hostname()
	if err != nil || h == "" || !validDomain(h) {
		return "localhost"
	}
	return h
}

// ResolveLocal maps a recipient to addresses. An address with @ is
// returned unchanged. A local name (root, www-data) goes through
// [aliases], ignoring case, following aliases of aliases; a name with no
// alias goes to the "default" alias when there is one; anything left is
// name@Domain(). A loop is a *Error naming the chain. It works on a nil
// *Config.
func (c *Config) ResolveLocal(addr string) ([]string, error) {
	addr = strings.TrimSpace(addr)
	if strings.Contains(addr, "@") {
		return []string{addr}, nil
	}
	if !validLocal(addr) {
		return nil, &Error{Key: "aliases", Msg: fmt.Sprintf("%q is not a local recipient name", addr)}
	}
	r := &resolver{c: c, seen: map[string]bool{}}
	if err := r.expand(addr, nil, false); err != nil {
		return nil, err
	}
	return r.out, nil
}

type resolver struct {
	c     *Config
	out   []string
	seen  map[string]bool // lower-cased addresses already in out
	steps int
}

func (r *resolver) expand(name string, chain []string, viaDefault bool) error {
	if r.steps++; r.steps > maxExpansion {
		return r.err(fmt.Sprintf("aliases expand to more than %d addresses", maxExpansion))
	}
	if strings.Contains(name, "@") {
		r.add(name)
		return nil
	}
	key := strings.ToLower(name)
	for i, k := range chain {
		if k == key {
			loop := append(append([]string(nil), chain[i:]...), key)
			return r.err("alias loop: " + strings.Join(loop, " -> "))
		}
	}
	var aliases map[string][]string
	if r.c != nil {
		aliases = r.c.Aliases
	}
	if targets, ok := aliases[key]; ok {
		chain = append(chain[:len(chain):len(chain)], key)
		for _, t := range targets {
			if err := r.expand(t, chain, viaDefault || key == "default"); err != nil {
				return err
			}
		}
		return nil
	}
	if targets, ok := aliases["default"]; ok && !viaDefault {
		// Names reached through "default" that have no alias of their
		// own go to the domain, not back to "default".
		chain = append(chain[:len(chain):len(chain)], key, "default")
		for _, t := range targets {
			if err := r.expand(t, chain, true); err != nil {
				return err
			}
		}
		return nil
	}
	r.add(name + "@" + r.c.Domain())
	return nil
}

func (r *resolver) add(a string) {
	if k := strings.ToLower(a); !r.seen[k] {
		r.seen[k] = true
		r.out = append(r.out, a)
	}
}

func (r *resolver) err(msg string) error {
	e := &Error{Key: "aliases", Msg: msg + "; fix [aliases]"}
	if r.c != nil {
		e.File = r.c.Path
	}
	return e
}
