package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/internal/smtptest"
)

// The wizard story (issue 7): a person at a terminal types their address,
// accepts what the domain's RFC 6186 SRV record proposes, types the
// password (not echoed), and outbox writes the config, keeps the password,
// checks the server and (issue 16) sends the test message it offers. The
// real binary runs under a pseudo-terminal; DNS answers come from a
// loopback server (--dns). Without a keyring (issue 16) the wizard says so
// and takes the file route; with one (test.sh's session bus) the keyring.
func TestConfigInitWizardPTY(t *testing.T) {
	t.Run("nokeyring", func(t *testing.T) { wizardPTY(t, false) })
	t.Run("keyring", func(t *testing.T) {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			t.Skip("no session bus here (test.sh runs this under dbus-run-session with a keyring)")
		}
		wizardPTY(t, true)
	})
}

func wizardPTY(t *testing.T, keyring bool) {
	bin, err := exec.LookPath("outbox") // installed by testscript.Main
	if err != nil {
		t.Skip("outbox not in PATH (run through go test)")
	}
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"wiz@example.test": "pty-S3cret"}})
	dns := startDNS(t, map[string]srvAnswer{
		"_submission._tcp.example.test.": {target: "localhost.", port: uint16(srv.Port)},
	})
	home := t.TempDir()
	cfgPath := filepath.Join(home, ".config", "outbox", "config.toml")
	pwFile := filepath.Join(home, ".config", "outbox", "passwords", "default")
	cmd := exec.Command(bin, "config", "init", "--dns", dns, "--tls-ca-file", srv.CAFile)
	drop := []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "OUTBOX_CONFIG", "OUTBOX_PASSWORD", "OUTBOX_HOST"}
	if !keyring {
		drop = append(drop, "DBUS_SESSION_BUS_ADDRESS")
	}
	cmd.Env = append(filteredEnv(drop...),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_STATE_HOME="+filepath.Join(home, "state"), "OUTBOX_CONFIG="+cfgPath,
		"OUTBOX_CREDSTORE_DIR="+filepath.Join(home, "credstore"), "SYSTEMD_CREDENTIAL_SECRET="+filepath.Join(home, "credential.secret"))
	if keyring {
		t.Cleanup(func() { config.KeyringDelete("wiz@example.test@localhost") })
	}

	term := startPTY(t, cmd)
	term.expect("Email address: ")
	term.send("wiz@example.test\n")
	term.expect("SRV _submission._tcp.example.test")
	term.expect("server    localhost:" + strconv.Itoa(srv.Port) + ", STARTTLS")
	term.expect("warning: localhost is not in example.test") // RFC 6186 §6
	term.expect("Use these settings? [Y/n] ")
	term.send("\n")
	term.expect("Username [wiz@example.test]: ")
	term.send("\n")
	term.expect("(not shown; empty to set it up later): ")
	term.sendSecret("pty-S3cret\n")
	if keyring {
		term.expect("Stored the password in the keyring")
	} else {
		term.expect("The OS keyring can't be used here: no D-Bus session bus")
		if ok, _ := config.SystemdCreds(); ok {
			// Root with systemd-creds is offered the encrypted
			// credential first; this story declines it.
			term.expect("Encrypt the password with systemd-creds into " + filepath.Join(home, "credstore", "outbox-default") + " (only root can decrypt it)? [Y/n] ")
			term.send("n\n")
		}
		term.expect("Keep the password in " + pwFile + ", a file only you can read (mode 0600)? [Y/n] ")
		term.send("\n")
		term.expect("Stored the password in " + pwFile)
	}
	term.expect(`PLAIN as "wiz@example.test": accepted`)
	term.expect("Send a test message to wiz@example.test? [Y/n] ")
	term.send("\n")
	term.expect("the server replied: ")
	code := term.wait()
	out := term.output()
	t.Logf("terminal:\n%s", out)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(out, "pty-S3cret") {
		t.Errorf("the password was echoed:\n%s", out)
	}
	fi, err := os.Stat(cfgPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config: %v, %v\n%s", fi, err, out)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("written config does not load: %v", err)
	}
	a := cfg.Accounts["default"]
	if a == nil || a.Host != "localhost" || a.Port != srv.Port || a.TLS != "starttls" || a.Username != "wiz@example.test" {
		t.Errorf("account %v", a)
	}
	if !keyring {
		if b, err := os.ReadFile(pwFile); err != nil || string(b) != "pty-S3cret\n" || a.PasswordFile != pwFile {
			t.Errorf("password file %s: %q, %v; password_file = %q", pwFile, b, err, a.PasswordFile)
		}
		if _, err := os.Stat(filepath.Join(home, "credstore")); err == nil {
			t.Errorf("declined, but a credential was written")
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !bytes.Contains(msgs[0].Data, []byte("Subject: outbox test from ")) || msgs[0].To[0] != "wiz@example.test" {
		t.Errorf("delivered: %d messages", len(msgs))
		for _, m := range msgs {
			t.Logf("%s", m.Data)
		}
	}
}

// Ctrl-C at a question ends the wizard (130) with the terminal's echo
// restored and nothing written, although outbox catches SIGINT.
func TestConfigInitWizardInterrupt(t *testing.T) {
	bin, err := exec.LookPath("outbox")
	if err != nil {
		t.Skip("outbox not in PATH")
	}
	home := t.TempDir()
	cfgPath := filepath.Join(home, "config.toml")
	cmd := exec.Command(bin, "config", "init", "--output", cfgPath)
	cmd.Env = append(filteredEnv("HOME", "XDG_CONFIG_HOME", "OUTBOX_CONFIG"), "HOME="+home)
	term := startPTY(t, cmd)
	term.expect("Email address: ")
	term.send("me@gmail.com\n")
	term.expect("Use these settings? [Y/n] ")
	term.send("\n")
	term.expect("[O/p] ")
	term.send("p\n")
	term.expect("(not shown; empty to set it up later): ")
	term.send("\x03") // ^C: the line discipline sends SIGINT
	if code := term.wait(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, term.output())
	}
	if _, err := os.Stat(cfgPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("config written after ^C: %v", err)
	}
}

// Issue 9 item 5: a Gmail address at the terminal is offered OAuth2; the
// default answer writes an OAuth2 account (no password) with the client
// ID typed in. No client secret yet, so init stops before the sign-in and
// says what to run.
func TestConfigInitWizardOAuthPTY(t *testing.T) {
	bin, err := exec.LookPath("outbox")
	if err != nil {
		t.Skip("outbox not in PATH")
	}
	home := t.TempDir()
	cfgPath := filepath.Join(home, "config.toml")
	cmd := exec.Command(bin, "config", "init", "--output", cfgPath, "--no-browser")
	cmd.Env = append(filteredEnv("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "OUTBOX_CONFIG", "OUTBOX_PASSWORD", "OUTBOX_HOST", "DBUS_SESSION_BUS_ADDRESS"),
		"HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"))
	term := startPTY(t, cmd)
	term.expect("Email address: ")
	term.send("me@gmail.com\n")
	term.expect("Use these settings? [Y/n] ")
	term.send("\n")
	term.expect("Sign in with OAuth2 (recommended) or use an app password? [O/p] ")
	term.send("\n")
	term.expect(`README, section "Gmail"`)
	term.expect("Application (client) ID: ")
	term.send("1234-abc.apps.googleusercontent.com\n")
	term.expect("Client secret of the Desktop app (not shown; empty to set it up later): ")
	term.sendSecret("\n")
	term.expect("No client secret stored: run `outbox password set --account default`")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, term.output())
	}
	if strings.Contains(term.output(), "Password for") {
		t.Errorf("asked for a password:\n%s", term.output())
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("written config does not load: %v", err)
	}
	a := cfg.Accounts["default"]
	if a == nil || a.Auth != "xoauth2" || a.OAuthProvider != "google" || a.OAuthClientID != "1234-abc.apps.googleusercontent.com" || a.Username != "me@gmail.com" || a.HasPasswordKey() {
		t.Errorf("account %+v", a)
	}
	if _, err := a.OAuth(); err != nil {
		t.Errorf("OAuth settings: %v", err)
	}
}

// Non-interactive init against a real server: written, loads back, and the
// check at the end passes with the password from the environment.
func TestConfigInitNonInteractiveCheck(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "tls", MaxMessageBytes: 10 << 20})
	dir := t.TempDir()
	path := filepath.Join(dir, "outbox.toml")
	t.Setenv("OUTBOX_PASSWORD", "secret")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // no keyring in this one
	var stdout, stderr bytes.Buffer
	code := run([]string{"outbox", "config", "init", "--email", "user@example.com", "--host", "127.0.0.1",
		"--port", strconv.Itoa(srv.Port), "--tls", "tls", "--username", "user", "--tls-ca-file", srv.CAFile, "--output", path},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"Wrote " + path, "implicit TLS", `PLAIN as "user": accepted`, "10.0 MiB", "Result       OK"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("missing %q in\n%s", want, stdout.String())
		}
	}
}

// The --json report's fields, as the README documents them.
func TestCheckJSONSchema(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{MaxMessageBytes: 1 << 20})
	path := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(path, []byte("[accounts.x]\nhost = \"127.0.0.1\"\nport = "+strconv.Itoa(srv.Port)+
		"\nusername = \"user\"\ntls_ca_file = \""+srv.CAFile+"\"\n"), 0o600)
	t.Setenv("OUTBOX_PASSWORD", "secret")
	for _, tc := range []struct {
		env  string
		code int
	}{{"secret", 0}, {"wrong", exNoPerm}} {
		t.Setenv("OUTBOX_PASSWORD", tc.env)
		var stdout, stderr bytes.Buffer
		code := run([]string{"outbox", "-c", path, "check", "--json"}, strings.NewReader(""), &stdout, &stderr)
		if code != tc.code {
			t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr.String())
		}
		var got map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout.String())
		}
		for _, k := range []string{"account", "server", "tls_mode", "greeting", "extensions", "tls", "size_limit", "auth", "warnings", "ok", "error"} {
			if _, ok := got[k]; !ok {
				t.Errorf("no %q in %s", k, stdout.String())
			}
		}
		tlsInfo, _ := got["tls"].(map[string]any)
		cert, _ := tlsInfo["certificate"].(map[string]any)
		for _, k := range []string{"subject", "issuer", "not_before", "not_after", "days_left", "dns_names", "fingerprint"} {
			if _, ok := cert[k]; !ok {
				t.Errorf("no tls.certificate.%s in %s", k, stdout.String())
			}
		}
		if got["size_limit"] != float64(1<<20) || got["account"] != "x" {
			t.Errorf("size_limit/account: %s", stdout.String())
		}
		auth, _ := got["auth"].(map[string]any)
		if auth["ok"] != (tc.code == 0) || auth["mechanism"] != "PLAIN" {
			t.Errorf("auth: %v", auth)
		}
		if tc.code != 0 {
			e, _ := got["error"].(map[string]any)
			if e["kind"] != "auth" || e["exit_code"] != float64(exNoPerm) || e["temporary"] != false {
				t.Errorf("error: %v", e)
			}
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent by check", n)
	}
}

func filteredEnv(drop ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			keep = keep && k != d
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}

// ptyProc is an expect-style driver: everything the program writes is
// collected; expect waits (with a generous deadline, no sleeps) until a
// string appears after the previous match.
type ptyProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	buf    []byte
	pos    int           // end of the last match
	more   chan struct{} // signalled on every read
	done   chan struct{} // closed when reading ends
}

func startPTY(t *testing.T, cmd *exec.Cmd) *ptyProc {
	t.Helper()
	master, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	p := &ptyProc{t: t, cmd: cmd, master: master, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			p.mu.Lock()
			p.buf = append(p.buf, b[:n]...)
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
			if err != nil {
				return // EIO once the child has exited
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		master.Close()
	})
	return p
}

func (p *ptyProc) expect(s string) {
	p.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		i := bytes.Index(p.buf[p.pos:], []byte(s))
		if i >= 0 {
			p.pos += i + len(s)
		}
		p.mu.Unlock()
		if i >= 0 {
			return
		}
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			found := bytes.Contains(p.buf[p.pos:], []byte(s))
			p.mu.Unlock()
			if !found {
				p.t.Fatalf("program ended before %q; output:\n%s", s, p.output())
			}
		case <-deadline.C:
			p.t.Fatalf("no %q within 20s; output:\n%s", s, p.output())
		}
	}
}

// sendSecret types s once the program has turned echo off.
func (p *ptyProc) sendSecret(s string) {
	p.t.Helper()
	if !waitEchoOff(p.master) {
		p.t.Fatalf("echo was not switched off for the password prompt; output:\n%s", p.output())
	}
	p.send(s)
}

func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatalf("pty write: %v", err)
	}
}

// wait returns the exit code once the program has ended and its output
// has been read.
func (p *ptyProc) wait() int {
	p.t.Helper()
	err := p.cmd.Wait()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("pty output did not end")
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		p.t.Fatalf("wait: %v", err)
	}
	return 0
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(string(p.buf), "\r\n", "\n")
}

type srvAnswer struct {
	target string
	port   uint16
}

// startDNS serves SRV answers over UDP on loopback (RFC 1035 §4 message
// format, RFC 2782 SRV RDATA); every other question gets NXDOMAIN. It
// returns the address for --dns.
func startDNS(t *testing.T, srv map[string]srvAnswer) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		b := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			if resp := dnsAnswer(b[:n], srv); resp != nil {
				pc.WriteTo(resp, addr)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func dnsAnswer(q []byte, srv map[string]srvAnswer) []byte {
	if len(q) < 12 {
		return nil
	}
	// The question: labels up to the root, then QTYPE and QCLASS.
	i := 12
	var name strings.Builder
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l > 63 || i+1+l > len(q) {
			return nil
		}
		name.Write(bytes.ToLower(q[i+1 : i+1+l]))
		name.WriteByte('.')
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1:])
	ans, ok := srv[name.String()]
	resp := append([]byte(nil), q[:2]...) // ID
	flags := uint16(0x8180)               // QR, RD, RA
	if !ok || qtype != 33 {
		flags |= 3 // NXDOMAIN
		ok = false
	}
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1) // QDCOUNT
	an := uint16(0)
	if ok {
		an = 1
	}
	resp = binary.BigEndian.AppendUint16(resp, an)
	resp = append(resp, 0, 0, 0, 0) // NSCOUNT, ARCOUNT
	resp = append(resp, question...)
	if ok {
		var rdata []byte
		rdata = binary.BigEndian.AppendUint16(rdata, 10) // priority
		rdata = binary.BigEndian.AppendUint16(rdata, 10) // weight
		rdata = binary.BigEndian.AppendUint16(rdata, ans.port)
		for _, label := range strings.Split(strings.TrimSuffix(ans.target, "."), ".") {
			rdata = append(rdata, byte(len(label)))
			rdata = append(rdata, label...)
		}
		rdata = append(rdata, 0)
		resp = append(resp, 0xc0, 12)                  // name: pointer to the question
		resp = binary.BigEndian.AppendUint16(resp, 33) // SRV
		resp = binary.BigEndian.AppendUint16(resp, 1)  // IN
		resp = binary.BigEndian.AppendUint32(resp, 60) // TTL
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp
}
