package notify

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// DefaultTail is how much of the output a report shows inline (SPEC §6).
const DefaultTail = 64 << 10

// OutputName is the file name the whole output is attached under.
const OutputName = "output.txt"

// capture is the one ordered sink both output streams write into. Memory
// stays bounded whatever the command prints: a ring holds the last bytes
// for the inline tail, and once the output outgrows the ring, everything
// also goes to a temporary file for the attachment. Small outputs never
// touch the disk.
type capture struct {
	mu    sync.Mutex
	ring  []byte // len == tail size
	total int64  // bytes written so far

	keep    bool   // always keep the whole output in the file
	tempDir string // where the file's private directory is made
	dir     string // that directory ("" until the file exists)
	f       *os.File
	w       *bufio.Writer
	fileErr error // the whole output could not be kept (sticky)
}

func newCapture(tail int, keep bool, tempDir string) *capture {
	if tail <= 0 {
		tail = DefaultTail
	}
	return &capture{ring: make([]byte, tail), keep: keep, tempDir: tempDir}
}

// Write never fails: losing the attachment copy must not stop the command
// (its output would block), so a file error is recorded and the ring goes
// on.
func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil && c.fileErr == nil && (c.keep || c.total+int64(len(p)) > int64(len(c.ring))) {
		c.openFile()
	}
	if c.w != nil {
		if _, err := c.w.Write(p); err != nil {
			c.dropFile(fmt.Errorf("notify: keep the whole output: %w", err))
		}
	}
	c.ringWrite(p)
	return len(p), nil
}

// ringWrite appends p to the ring. The byte at offset i of the output
// lives at ring[i%len(ring)], so the ring always holds the last bytes.
func (c *capture) ringWrite(p []byte) {
	n := len(c.ring)
	if len(p) > n {
		c.total += int64(len(p) - n)
		p = p[len(p)-n:]
	}
	pos := int(c.total % int64(n))
	k := copy(c.ring[pos:], p)
	copy(c.ring, p[k:])
	c.total += int64(len(p))
}

// tail returns the last bytes written, oldest first (a copy).
func (c *capture) tail() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := int64(len(c.ring))
	if c.total <= n {
		return append([]byte(nil), c.ring[:c.total]...)
	}
	pos := c.total % n
	out := make([]byte, 0, n)
	out = append(out, c.ring[pos:]...)
	return append(out, c.ring[:pos]...)
}

// openFile starts the attachment copy with what the ring holds, which is
// everything so far: it is called before the ring first wraps.
func (c *capture) openFile() {
	dir, err := os.MkdirTemp(c.tempDir, "outbox-run-")
	if err != nil {
		c.fileErr = fmt.Errorf("notify: keep the whole output: %w", err)
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, OutputName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		c.fileErr = fmt.Errorf("notify: keep the whole output: %w", err)
		return
	}
	c.dir, c.f, c.w = dir, f, bufio.NewWriterSize(f, 64<<10)
	if _, err := c.w.Write(c.ring[:c.total]); err != nil {
		c.dropFile(fmt.Errorf("notify: keep the whole output: %w", err))
	}
}

func (c *capture) dropFile(err error) {
	if c.f != nil {
		c.f.Close()
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
	c.f, c.w, c.dir, c.fileErr = nil, nil, "", err
}

// finish flushes and closes the file and returns its path ("" when there
// is none).
func (c *capture) finish() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keep && c.f == nil && c.fileErr == nil {
		c.openFile() // --attach-output with nothing printed: an empty file
	}
	if c.f == nil {
		return "", c.fileErr
	}
	err := c.w.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		path := c.dir
		c.f = nil
		os.RemoveAll(path)
		c.dir, c.fileErr = "", fmt.Errorf("notify: keep the whole output: %w", err)
		return "", c.fileErr
	}
	c.f = nil
	return filepath.Join(c.dir, OutputName), nil
}
