package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/emersion/go-smtp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/send"
)

// The queue stories (issue 4) in testdata/queue-script/*.txtar run the real
// binary against servers that fail in the ways a smarthost fails: refused
// connections, 421 at the greeting, 451 at MAIL, RCPT or DATA, a
// connection cut in the middle of DATA, a TLS handshake that breaks. They
// have their own servers, hence their own testscript.Run.
func TestQueueScripts(t *testing.T) {
	tempFail := func(string) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	servers := map[string]*smtptest.Server{
		// "starttls" is the name main_test.go's received looks for.
		"starttls": smtptest.Start(t, smtptest.Options{OnRcpt: refuse}),
		"mail451":  smtptest.Start(t, smtptest.Options{Mode: "none", OnMail: tempFail}),
		"rcpt451":  smtptest.Start(t, smtptest.Options{Mode: "none", OnRcpt: tempFail}),
		"data451":  smtptest.Start(t, smtptest.Options{Mode: "none", OnData: func([]byte) error { return tempFail("") }}),
	}
	raw := map[string]string{
		"greet421": smtptest.Script(t, qRawServer("greet421")),
		"cutdata":  smtptest.Script(t, qRawServer("cutdata")),
		"tlsfail":  smtptest.Script(t, qRawServer("tlsfail")),
		"dead":     "127.0.0.1:" + strconv.Itoa(closedPort(t)),
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/queue-script",
		Setup: func(env *testscript.Env) error {
			isolateScript(env)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"qconfig":  func(ts *testscript.TestScript, neg bool, args []string) { qconfig(ts, servers, raw, args) },
			"received": func(ts *testscript.TestScript, neg bool, args []string) { received(ts, neg, servers, args) },
			"count":    func(ts *testscript.TestScript, neg bool, args []string) { qCount(ts, servers, args) },
			"exits":    exits,
			"spool":    qSpool,
			"queued":   qQueued,
			"qid":      qID,
			"qedit":    qEdit,
		},
		RequireExplicitExec: true,
	})
}

// qRawServer speaks just enough plaintext SMTP, without AUTH, to fail in a
// way go-smtp's server can't:
//
//	greet421: 421 at the greeting (RFC 5321 §3.8), then close;
//	cutdata:  take MAIL, RCPT and DATA, read 200 bytes of the message, close;
//	tlsfail:  offer STARTTLS, answer 220, then close instead of the handshake.
func qRawServer(mode string) func(net.Conn) {
	return func(c net.Conn) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		w := bufio.NewWriter(c)
		r := bufio.NewReader(c)
		say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
		if mode == "greet421" {
			say("421 4.3.2 localhost service not available, closing channel")
			return
		}
		say("220 localhost ESMTP raw")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			switch {
			case verb == "EHLO" && mode == "tlsfail":
				say("250-localhost\r\n250 STARTTLS")
			case verb == "EHLO":
				say("250-localhost\r\n250 8BITMIME")
			case verb == "STARTTLS":
				say("220 2.0.0 ready to start TLS")
				return
			case verb == "DATA":
				say("354 go ahead")
				buf := make([]byte, 200)
				r.Read(buf)
				return
			case verb == "QUIT":
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}
}

// qconfig SERVER [top-level toml line...] writes the config with one
// account "test" on SERVER: "starttls" (STARTTLS, its CA trusted, no AUTH),
// the plaintext fault servers mail451, rcpt451, data451, greet421, cutdata,
// tlsfail (STARTTLS that breaks), or dead (connection refused).
func qconfig(ts *testscript.TestScript, servers map[string]*smtptest.Server, raw map[string]string, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: qconfig SERVER [toml line...]")
	}
	var host, port, mode, ca string
	if s, ok := servers[args[0]]; ok {
		host, port, mode = s.Host, strconv.Itoa(s.Port), "none"
		if args[0] == "starttls" {
			mode, ca = "starttls", s.CAFile
		}
	} else if addr, ok := raw[args[0]]; ok {
		var err error
		host, port, err = net.SplitHostPort(addr)
		ts.Check(err)
		mode = "none"
		if args[0] == "tlsfail" || args[0] == "dead" {
			mode = "starttls"
		}
	} else {
		ts.Fatalf("qconfig: unknown server %q", args[0])
	}
	var b strings.Builder
	b.WriteString("default_domain = \"example.com\"\n")
	for _, line := range args[1:] {
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\n[accounts.test]\nhost = %q\nport = %s\ntls = %q\nauth = \"none\"\nfrom = \"Queue Test <sender@example.com>\"\ntimeout = \"5s\"\n", host, port, mode)
	if ca != "" {
		fmt.Fprintf(&b, "tls_ca_file = %q\n", ca)
	}
	path := filepath.Join(ts.Getenv("XDG_CONFIG_HOME"), "outbox", "config.toml")
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
	ts.Check(os.WriteFile(path, []byte(b.String()), 0o600))
}

// count [-server NAME] N RCPT... waits until each RCPT has had exactly N
// messages (for N = 0: none arrived within a short time), and fails if one
// had more. A RCPT ending in "*" is a prefix: every recipient with it.
func qCount(ts *testscript.TestScript, servers map[string]*smtptest.Server, args []string) {
	srv := servers["starttls"]
	if len(args) > 2 && args[0] == "-server" {
		srv, args = servers[args[1]], args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: count [-server NAME] N RCPT...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	args = expandRange(ts, args)
	tally := func() map[string]int {
		n := map[string]int{}
		for _, m := range srv.Messages() {
			for _, to := range m.To {
				n[to]++
			}
		}
		return n
	}
	check := func(n map[string]int) (bad []string, done bool) {
		done = true
		for _, r := range args[1:] {
			if p, ok := strings.CutSuffix(r, "*"); ok {
				for to, c := range n {
					if strings.HasPrefix(to, p) && c != want {
						bad = append(bad, fmt.Sprintf("%s: %d", to, c))
					}
				}
				continue
			}
			if n[r] > want {
				bad = append(bad, fmt.Sprintf("%s: %d", r, n[r]))
			}
			done = done && n[r] == want
		}
		return bad, done
	}
	deadline := time.Now().Add(10 * time.Second)
	if want == 0 {
		deadline = time.Now().Add(300 * time.Millisecond)
	}
	for {
		bad, done := check(tally())
		if len(bad) > 0 {
			sort.Strings(bad)
			ts.Fatalf("want %d message(s) each, got %s", want, strings.Join(bad, ", "))
		}
		if done && want > 0 {
			return
		}
		if time.Now().After(deadline) {
			if !done {
				n := tally()
				var missing []string
				for _, r := range args[1:] {
					if !strings.HasSuffix(r, "*") && n[r] != want {
						missing = append(missing, fmt.Sprintf("%s: %d", r, n[r]))
					}
				}
				ts.Fatalf("want %d message(s) each; not all arrived: %s", want, strings.Join(missing, ", "))
			}
			return
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

func qDir(ts *testscript.TestScript) string { return ts.Getenv("OUTBOX_QUEUE_DIR") }

// expandRange turns each argument PREFIX{A..B}SUFFIX into PREFIXA SUFFIX
// ... PREFIXB SUFFIX (conc{1..200}@example.com: 200 recipients), so that
// count can say every one of them arrived.
func expandRange(ts *testscript.TestScript, args []string) []string {
	out := args[:1:1]
	for _, a := range args[1:] {
		pre, rest, ok := strings.Cut(a, "{")
		if !ok {
			out = append(out, a)
			continue
		}
		rng, suf, ok := strings.Cut(rest, "}")
		from, to, ok2 := strings.Cut(rng, "..")
		if !ok || !ok2 {
			ts.Fatalf("count: bad range %q (want PREFIX{A..B}SUFFIX)", a)
		}
		lo, err := strconv.Atoi(from)
		ts.Check(err)
		hi, err := strconv.Atoi(to)
		ts.Check(err)
		for i := lo; i <= hi; i++ {
			out = append(out, fmt.Sprintf("%s%d%s", pre, i, suf))
		}
	}
	return out
}

// spool N PREFIX puts N messages into the queue through the queue package,
// due now, to PREFIX1@example.com ... PREFIXN@example.com.
func qSpool(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: spool N PREFIX")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	q, err := queue.Open(qDir(ts))
	ts.Check(err)
	for i := 1; i <= n; i++ {
		d, err := q.NewDraft()
		ts.Check(err)
		rcpt := fmt.Sprintf("%s%d@example.com", args[1], i)
		fmt.Fprintf(d, "From: sender@example.com\r\nTo: %s\r\nSubject: spooled %d\r\n\r\nbody %d\r\n", rcpt, i, i)
		ts.Check(d.Commit(&queue.Entry{Account: "test", From: "sender@example.com", Rcpts: queue.Pending([]string{rcpt})}))
	}
}

// queued new|failed N asserts the number of committed entries there.
func qQueued(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: queued new|failed N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := len(qEntryIDs(ts, args[0]))
	if got != want {
		ts.Fatalf("%d entries in %s/, want %d", got, args[0], want)
	}
}

func qEntryIDs(ts *testscript.TestScript, sub string) []string {
	names, err := filepath.Glob(filepath.Join(qDir(ts), sub, "*.json"))
	ts.Check(err)
	var ids []string
	for _, n := range names {
		ids = append(ids, strings.TrimSuffix(filepath.Base(n), ".json"))
	}
	slices.Sort(ids)
	return ids
}

// qid VAR new|failed [N] sets $VAR to the ID of the Nth (from 1) entry in
// new/ or failed/, in ID order (= arrival order).
func qID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: qid VAR new|failed [N]")
	}
	n := 1
	if len(args) > 2 {
		var err error
		n, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	ids := qEntryIDs(ts, args[1])
	if len(ids) < n {
		ts.Fatalf("%d entries in %s/, want at least %d", len(ids), args[1], n)
	}
	ts.Setenv(args[0], ids[n-1])
}

// qedit ID|all FIELD=DURATION... shifts time fields of new/ entries
// relative to now, as a clock would: created=-6d, next_attempt=+1h.
func qEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: qedit ID|all FIELD=DURATION...")
	}
	ids := []string{args[0]}
	if args[0] == "all" {
		ids = qEntryIDs(ts, "new")
	}
	for _, id := range ids {
		p := filepath.Join(qDir(ts), "new", id+".json")
		b, err := os.ReadFile(p)
		ts.Check(err)
		var m map[string]any
		ts.Check(json.Unmarshal(b, &m))
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			days, isDays := strings.CutSuffix(v, "d")
			var d time.Duration
			if isDays {
				n, err := strconv.Atoi(days)
				ts.Check(err)
				d = time.Duration(n) * 24 * time.Hour
			} else {
				d, err = time.ParseDuration(v)
				ts.Check(err)
			}
			m[k] = time.Now().Add(d).Format(time.RFC3339Nano)
		}
		b, err = json.Marshal(m)
		ts.Check(err)
		ts.Check(os.WriteFile(p, b, 0o600))
	}
}

// crashEnv is a config and queue for tests that run the binary themselves.
func crashEnv(t *testing.T, addr, ca string) (bin string, env []string, qdir string) {
	bin, err := exec.LookPath("outbox") // put on PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(addr)
	cfg := filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("default_domain = \"example.com\"\n[accounts.test]\nhost = %q\nport = %s\ntls = \"starttls\"\ntls_ca_file = %q\nauth = \"none\"\nfrom = \"sender@example.com\"\ntimeout = \"5s\"\n", host, port, ca)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	qdir = filepath.Join(dir, "queue")
	env = append(os.Environ(), "OUTBOX_CONFIG="+cfg, "OUTBOX_QUEUE_DIR="+qdir, "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	return bin, env, qdir
}

// Issue 4, crash safety: the real binary is killed with SIGKILL at random
// points during 100 sends (the smarthost sometimes drops the connection,
// sometimes is slow) and during flushes. Every message whose send exited 0
// is delivered or queued; a killed send left a whole entry or none; after a
// final flush everything queued is delivered; duplicates happen only in
// the documented window (a kill after the server's 250, before the entry
// was updated): at most one per kill.
//
// Issue 17 finding 5: the random choices come from a seed, printed with
// every failure and read from OUTBOX_CRASH_SEED to replay a run: which
// sends are killed and when (as a fraction of a send's duration) depend
// only on the seed and the send's number. The server's slowness and the
// dropped connections draw from the seed too, in the order the processes
// ask, so those vary with timing.
func TestQueueCrashSafety(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	seed := rand.Uint64()
	if v := os.Getenv("OUTBOX_CRASH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("OUTBOX_CRASH_SEED=%q: want a decimal number (the seed a failed run printed)", v)
		}
	}
	counts := "none yet"
	t.Logf("OUTBOX_CRASH_SEED=%d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: OUTBOX_CRASH_SEED=%d go test -count=1 -run TestQueueCrashSafety .\ncounts: %s", seed, counts)
		}
	})
	var rngMu sync.Mutex
	shared := rand.New(rand.NewPCG(seed, 0))
	intN := func(n int) int {
		rngMu.Lock()
		defer rngMu.Unlock()
		return shared.IntN(n)
	}
	// plan is run number i's own draw: kill it or not, and when.
	plan := func(i int) (kill bool, at float64) {
		r := rand.New(rand.NewPCG(seed, uint64(i)+1))
		return r.IntN(2) == 0, r.Float64()
	}
	backend := smtptest.Start(t, smtptest.Options{OnData: func([]byte) error {
		if intN(4) == 0 {
			time.Sleep(time.Duration(intN(40)) * time.Millisecond) // a slow server, not synchronisation
		}
		return nil
	}})
	var flaky atomic.Bool
	flaky.Store(true)
	proxy := smtptest.Script(t, func(c net.Conn) {
		if flaky.Load() && intN(4) == 0 {
			return // the smarthost drops the connection before its greeting
		}
		b, err := net.Dial("tcp", backend.Addr)
		if err != nil {
			return
		}
		defer b.Close()
		go func() { io.Copy(b, c); b.Close() }()
		io.Copy(c, b)
	})
	bin, env, qdir := crashEnv(t, proxy, backend.CAFile)

	const n = 100
	accepted := make([]bool, n)
	var kills atomic.Int32
	var span time.Duration // how long a whole send takes here; kills fall in [0, span)
	run := func(kill bool, at float64, args ...string) (ok bool) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return false
		}
		if kill {
			// A random point of the process's life: before, during or
			// after the spool write and the SMTP dialogue.
			timer := time.AfterFunc(time.Duration(at*float64(span)), func() {
				if cmd.Process.Signal(syscall.SIGKILL) == nil {
					kills.Add(1)
				}
			})
			defer timer.Stop()
		}
		return cmd.Wait() == nil
	}
	// Calibrate: the mean duration of a few sends that are not killed,
	// with the smarthost steady and four at a time, as below.
	flaky.Store(false)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			run(false, 0, "send", "--to", fmt.Sprintf("warmup%d@example.com", i), "-s", "warm-up", "-m", "body")
		})
		if i%4 == 3 {
			wg.Wait()
		}
	}
	span = time.Since(start) / 2
	flaky.Store(true)
	t.Logf("a send takes about %v", span)

	var planned []string
	for i := range n {
		if kill, at := plan(i); kill {
			planned = append(planned, fmt.Sprintf("%d@%.2f", i, at))
		}
	}
	t.Logf("sends to kill (number@fraction of a send): %s", strings.Join(planned, " "))
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				kill, at := plan(i)
				accepted[i] = run(kill, at, "send", "--to", fmt.Sprintf("crash%d@example.com", i), "-s", fmt.Sprint("crash ", i), "-m", "body")
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	// Snapshot: what the server has, what the queue holds.
	q, err := queue.Open(qdir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := q.List()
	if err != nil {
		t.Fatalf("queue damaged after %d kills: %v", kills.Load(), err)
	}
	inQueue := map[string]bool{}
	for _, e := range entries {
		for _, r := range e.Rcpts {
			inQueue[r.Addr] = true
		}
	}
	delivered := func() map[string]int {
		m := map[string]int{}
		for _, msg := range backend.Messages() {
			for _, to := range msg.To {
				m[to]++
			}
		}
		return m
	}
	got := delivered()
	var nAccepted, nDelivered, nQueued, nBoth, nNeither int
	for i := range n {
		rcpt := fmt.Sprintf("crash%d@example.com", i)
		d, qd := got[rcpt] > 0, inQueue[rcpt]
		if accepted[i] {
			nAccepted++
			if !d && !qd {
				t.Errorf("%s: the send exited 0, but the message is neither delivered nor queued", rcpt)
			}
		}
		switch {
		case d && qd:
			nBoth++ // killed between the 250 and the entry's removal
		case d:
			nDelivered++
		case qd:
			nQueued++
		default:
			nNeither++ // killed before the entry was committed: never accepted
		}
	}
	counts = fmt.Sprintf("after 100 sends with %d kills: %d exited 0; %d delivered + %d queued + %d both (duplicate window) + %d never accepted = %d",
		kills.Load(), nAccepted, nDelivered, nQueued, nBoth, nNeither, nDelivered+nQueued+nBoth+nNeither)
	t.Log(counts)

	// Flushes killed at random points, then one that runs to the end with
	// the smarthost steady.
	flaky.Store(false)
	for k := range 5 {
		_, at := plan(n + k)
		run(true, at, "queue", "flush")
	}
	if !run(false, 0, "queue", "flush") {
		t.Fatal("the final flush failed")
	}
	entries, err = q.List()
	if err != nil || len(entries) != 0 {
		t.Fatalf("after the final flush: %d entries left, %v", len(entries), err)
	}
	got = delivered()
	dups := 0
	for i := range n {
		rcpt := fmt.Sprintf("crash%d@example.com", i)
		if (accepted[i] || inQueue[rcpt]) && got[rcpt] == 0 {
			t.Errorf("%s: accepted, never delivered", rcpt)
		}
		if got[rcpt] > 1 {
			dups += got[rcpt] - 1
		}
	}
	counts += fmt.Sprintf("; after the flushes (%d kills in all): %d distinct delivered, %d duplicates", kills.Load(), len(got), dups)
	t.Log(counts)
	// A kill mid-flush can leave every message of the streaming window
	// accepted by the server but still queued (send.Window, issue 13).
	if dups > int(kills.Load())*send.Window {
		t.Errorf("%d duplicates for %d kills: more than the window of %d per kill", dups, kills.Load(), send.Window)
	}
	// A kill inside a removal (the entry's JSON gone, its message file
	// not yet) or a commit leaves a message file without an entry: not
	// listed, not sent, and removed by the flush after a day.
	orphans, _ := filepath.Glob(filepath.Join(qdir, "new", "*.eml"))
	tmps, _ := filepath.Glob(filepath.Join(qdir, "tmp", "*"))
	t.Logf("leftovers: %d message files without an entry in new/, %d files in tmp/", len(orphans), len(tmps))
	q.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"new", "tmp", "failed"} {
		if left, _ := filepath.Glob(filepath.Join(qdir, sub, "*")); len(left) != 0 {
			t.Errorf("left in %s/ a day later: %v", sub, left)
		}
	}
}

// Issue 4.3: a send that goes out takes the due queued messages of its
// account along over the same connection (the automatic flush); messages
// not yet due stay.
func TestAutoFlushReusesConnection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	bin, env, qdir := crashEnv(t, srv.Addr, srv.CAFile)
	q, err := queue.Open(qdir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		d, err := q.NewDraft()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(d, "Subject: queued %d\r\n\r\nx\r\n", i)
		e := &queue.Entry{Account: "test", From: "sender@example.com", Rcpts: queue.Pending([]string{fmt.Sprintf("waiting%d@example.com", i)})}
		if i == 3 {
			e.NextAttempt = time.Now().Add(time.Hour)
		}
		if err := d.Commit(e); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "send", "--to", "now@example.com", "-s", "x", "-m", "x")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("send: %v, output %q", err, out)
	}
	msgs := srv.WaitMessages(t, 4)
	if len(msgs) != 4 || srv.Connections() != 1 {
		t.Errorf("%d messages over %d connections; want 4 over 1", len(msgs), srv.Connections())
	}
	if left, _ := q.List(); len(left) != 1 || left[0].Rcpts[0].Addr != "waiting3@example.com" {
		t.Errorf("left in the queue: %+v", left)
	}
}

// Issue 7 item 7: no progress bar unless stderr is a terminal — for cron,
// pipes and files the hook is absent, and Submit reads the message as is.
func TestProgressNeverWithoutTTY(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, stderr := range map[string]io.Writer{"file": f, "pipe": w, "buffer": &strings.Builder{}, "nil file": (*os.File)(nil)} {
		if progressHook(stderr) != nil {
			t.Errorf("%s: progress hook set", name)
		}
	}
}

// On a terminal, a message over 1 MB shows a bar with bytes, rate and ETA
// while DATA streams, and takes it away at the end; a small one shows none.
func TestProgressOnTTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	defer func(d time.Duration) { progressThrottle = d }(progressThrottle)
	progressThrottle = 0 // draw at every read: the test reads faster than a person looks
	hook := progressHook(tty)
	if hook == nil {
		t.Fatal("no progress hook on a terminal")
	}
	small := strings.NewReader("tiny")
	if r := hook(&queue.Entry{ID: "SMALL", Size: 4}, small); r != io.Reader(small) {
		t.Error("a small message got a progress bar")
	}
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends when tty and ptmx are closed
		out <- string(b)
	}()
	const size = 3 << 20
	r := hook(&queue.Entry{ID: "01BIGMESSAGE", Size: size}, strings.NewReader(strings.Repeat("x", size)))
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != size {
		t.Fatalf("read %d, %v", n, err)
	}
	r.(io.Closer).Close()
	tty.Close()
	got := <-out
	if i := strings.LastIndex(got, "100%"); i > 40 {
		t.Logf("last frame: %q", got[i-40:])
	}
	for _, want := range []string{"sending 01BIGMESSAGE", "100%", "/3.1 MB", "B/s", "\r" + strings.Repeat(" ", 60)} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal shows %q, want %q in it", got, want)
		}
	}
}

// The same through the binary: `outbox send` of a 3 MB message with stderr
// on a terminal draws the bar and clears it; nothing else is printed.
func TestProgressCLI(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	srv := smtptest.Start(t, smtptest.Options{})
	bin, env, _ := crashEnv(t, srv.Addr, srv.CAFile)
	body := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(body, []byte(strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", 48<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "send", "--to", "big@example.com", "-s", "big", "--body-file", body)
	cmd.Env = env
	cmd.Stderr = tty
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		out <- string(b)
	}()
	err = cmd.Run()
	tty.Close()
	got := <-out
	if err != nil {
		t.Fatalf("send: %v; terminal: %q", err, got)
	}
	if !strings.Contains(got, "outbox: sending ") || !strings.Contains(got, "MB") || !strings.HasSuffix(got, "\r") {
		t.Errorf("terminal shows %q", got)
	}
	srv.WaitMessages(t, 1)
}
