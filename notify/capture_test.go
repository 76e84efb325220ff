package notify

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// The ring holds exactly the last bytes for any sequence of writes; the
// file, once made, holds all of them.
func TestCaptureTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 7, 64, 1000} {
		var all []byte
		c := newCapture(size, false, t.TempDir())
		for range 200 {
			p := make([]byte, rng.IntN(3*size+2))
			for i := range p {
				p[i] = byte(rng.IntN(256))
			}
			c.Write(p)
			all = append(all, p...)
			want := all[max(0, len(all)-size):]
			if got := c.tail(); !bytes.Equal(got, want) {
				t.Fatalf("size %d after %d bytes: tail differs", size, len(all))
			}
		}
		path, err := c.finish()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, all) {
			t.Fatalf("size %d: file holds %d of %d bytes (%v)", size, len(got), len(all), err)
		}
		os.RemoveAll(path)
	}
}

// An unusable temp dir loses the attachment copy, not the tail.
func TestCaptureFileError(t *testing.T) {
	c := newCapture(4, false, "/nonexistent/outbox-test")
	c.Write([]byte("hello world"))
	path, err := c.finish()
	if path != "" || err == nil || string(c.tail()) != "orld" {
		t.Errorf("path %q err %v tail %q", path, err, c.tail())
	}
}

func FuzzCapture(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint8(4), uint8(3))
	f.Add(bytes.Repeat([]byte{0}, 300), uint8(1), uint8(17))
	f.Fuzz(func(t *testing.T, data []byte, size, chunk uint8) {
		c := newCapture(int(size)+1, false, t.TempDir())
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			c.Write(data[i:min(len(data), i+step)])
		}
		want := data[max(0, len(data)-int(size)-1):]
		if !bytes.Equal(c.tail(), want) {
			t.Fatalf("tail %q, want %q", c.tail(), want)
		}
		if path, _ := c.finish(); path != "" {
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, data) {
				t.Fatalf("file %q, want %q", got, data)
			}
		}
	})
}
