// Command gen writes the test messages of the benchmark suite (bench/run)
// to stdout, deterministically, with LF line endings as a program piping
// into sendmail would.
//
//	gen -size 2048            a plain message of about that many bytes
//	gen -attach FILE          a multipart/mixed message with FILE as a
//	                          base64 attachment (76-character lines), built
//	                          outside outbox for the msmtp side of row 5
//
// Each message carries a digest header the sink checks:
// X-Bench-Body-SHA256 (the body in its CRLF wire form) or
// X-Bench-Attach-SHA256 (the attachment's bytes). Some body lines start
// with "." so that both clients have dot-stuffing to do (RFC 5321 §4.5.2).
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

func main() {
	size := flag.Int64("size", 2048, "approximate message size in bytes")
	attach := flag.String("attach", "", "build a multipart message with this file attached")
	from := flag.String("from", "bench@bench.test", "From address")
	to := flag.String("to", "rcpt@bench.test", "To address")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	var err error
	if *attach != "" {
		err = writeAttach(w, *from, *to, *attach)
	} else {
		err = writePlain(w, *from, *to, *size)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
}

func header(w io.Writer, from, to, subject, extra string) {
	fmt.Fprintf(w, "From: Bench <%s>\nTo: %s\nSubject: %s\nDate: Mon, 02 Jan 2006 15:04:05 +0000\nMessage-ID: <bench.%s@bench.test>\n%s\n",
		from, to, subject, hex.EncodeToString([]byte(subject))[:8], extra)
}

// body calls line for each body line (without its LF) until about size
// bytes are produced.
func body(size int64, line func([]byte) error) error {
	buf := make([]byte, 0, 80)
	var n int64
	for i := 0; n < size; i++ {
		buf = buf[:0]
		if i%10 == 3 {
			buf = append(buf, '.')
		}
		buf = fmt.Appendf(buf, "%08d the quick brown fox jumps over the lazy dog 0123456789 abcdefg", i)
		if err := line(buf); err != nil {
			return err
		}
		n += int64(len(buf)) + 1
	}
	return nil
}

func writePlain(w io.Writer, from, to string, size int64) error {
	const hdrSize = 250
	bodySize := max(size-hdrSize, 1)
	sum := sha256.New()
	crlf := []byte("\r\n")
	body(bodySize, func(l []byte) error {
		sum.Write(l)
		sum.Write(crlf)
		return nil
	})
	header(w, from, to, fmt.Sprintf("bench %d bytes", size),
		"X-Bench-Body-SHA256: "+hex.EncodeToString(sum.Sum(nil))+"\n")
	lf := []byte("\n")
	return body(bodySize, func(l []byte) error {
		if _, err := w.Write(l); err != nil {
			return err
		}
		_, err := w.Write(lf)
		return err
	})
}

func writeAttach(w io.Writer, from, to, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	const b = "bench-boundary-0123456789"
	header(w, from, to, "bench attachment",
		"X-Bench-Attach-SHA256: "+hex.EncodeToString(sum.Sum(nil))+"\n"+
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\""+b+"\"\n")
	fmt.Fprintf(w, "--%s\nContent-Type: text/plain; charset=utf-8\n\nReport attached.\n--%s\n", b, b)
	fmt.Fprintf(w, "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=%q\nContent-Transfer-Encoding: base64\n\n", filepath.Base(path))
	in := make([]byte, 57*1024) // 57 bytes encode to one 76-character line
	out := make([]byte, base64.StdEncoding.EncodedLen(57))
	r := bufio.NewReaderSize(f, len(in))
	for {
		n, err := io.ReadFull(r, in)
		for off := 0; off < n; off += 57 {
			chunk := in[off:min(off+57, n)]
			base64.StdEncoding.Encode(out, chunk)
			w.Write(out[:base64.StdEncoding.EncodedLen(len(chunk))])
			w.Write([]byte("\n"))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "--%s--\n", b)
	return err
}
