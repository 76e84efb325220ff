package completions

import (
	"fmt"
	"io"
)

// Shells are the shells Write knows, and the file each one's script is
// installed as (the name its completion loader looks for).
var Shells = []struct{ Name, File string }{
	{"bash", "outbox.bash"},
	{"zsh", "_outbox"},
	{"fish", "outbox.fish"},
}

// Write writes the completion script for shell ("bash", "zsh" or "fish").
func Write(w io.Writer, shell string, root *Command) error {
	switch shell {
	case "bash":
		return Bash(w, root)
	case "zsh":
		return Zsh(w, root)
	case "fish":
		return Fish(w, root)
	}
	return fmt.Errorf("completions: no script for shell %q; choose bash, zsh or fish", shell)
}
