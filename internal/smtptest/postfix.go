package smtptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PostfixOptions configure a private Postfix instance.
type PostfixOptions struct {
	// Relay is "127.0.0.1:port" of the server Postfix hands every
	// message to (relayhost, no TLS): typically a Start server in
	// Mode "none" that captures what arrives.
	Relay string
	// Users are SASL users ("name@realm" → password) in a Cyrus sasldb
	// of the instance's own.
	Users map[string]string
	// Refuse lists recipients smtpd refuses at RCPT ("550 5.1.1 no such
	// user here", through a check_recipient_access map).
	Refuse []string
}

// Postfix is a running private Postfix: its own config, queue and data
// directories in a temporary directory, smtpd on a loopback port with
// STARTTLS (a generated certificate), SASL AUTH (Cyrus sasldb) required
// to relay, PIPELINING and CHUNKING on (Postfix's defaults). The
// machine's own Postfix configuration (/etc/postfix) is only read (the
// files the package ships), never changed, and the system instance is
// neither started nor touched.
type Postfix struct {
	Host string
	Port int
	Cert *Cert
	Dir  string // config_directory; also holds the queue and maillog
}

// Log returns Postfix's log (maillog_file), for failure messages.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "maillog"))
	return string(b)
}

// PostfixAvailable says why StartPostfix can't run here, or "" when it
// can: it needs root (Postfix's master starts as root and changes to the
// postfix user) and the Debian packages postfix and sasl2-bin.
func PostfixAvailable() string {
	if os.Geteuid() != 0 {
		return "Postfix interop needs root"
	}
	for _, f := range []string{"/usr/sbin/postfix", "/usr/sbin/saslpasswd2", "/usr/lib/postfix/sbin/master"} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("%s missing (install postfix and sasl2-bin; test.sh does)", f)
		}
	}
	return ""
}

// StartPostfix starts a private Postfix and stops it when the test ends.
func StartPostfix(t testing.TB, o PostfixOptions) *Postfix {
	t.Helper()
	if why := PostfixAvailable(); why != "" {
		t.Fatalf("smtptest: %s", why)
	}
	// Postfix's daemons run as the postfix user: the directory must be
	// reachable for it, which t.TempDir's 0700 parent is not.
	dir, err := os.MkdirTemp("", "outbox-postfix-")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Postfix{Host: "127.0.0.1", Dir: dir, Cert: NewCert(t)}
	p.Port = freePort(t)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("smtptest: postfix set-up: %v", err)
		}
	}
	write := func(name, text string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		must(os.MkdirAll(filepath.Dir(path), 0o755))
		must(os.WriteFile(path, []byte(text), mode))
		return path
	}
	cert, _ := os.ReadFile(p.Cert.CAFile)
	key, _ := os.ReadFile(p.Cert.KeyFile)
	certFile := write("tls/cert.pem", string(cert), 0o644)
	keyFile := write("tls/key.pem", string(key), 0o600)

	var access strings.Builder
	for _, r := range o.Refuse {
		fmt.Fprintf(&access, "%s 550 5.1.1 no such user here\n", r)
	}
	accessFile := write("access", access.String(), 0o644)
	saslDir := filepath.Join(dir, "sasl")
	sasldb := filepath.Join(dir, "sasldb2")
	write("sasl/smtpd.conf", fmt.Sprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s\n", sasldb), 0o644)
	for user, pw := range o.Users {
		name, realm, _ := strings.Cut(user, "@")
		cmd := exec.Command("saslpasswd2", "-f", sasldb, "-c", "-p", "-u", realm, name)
		cmd.Stdin = strings.NewReader(pw)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("smtptest: saslpasswd2: %v: %s", err, out)
		}
	}
	if len(o.Users) > 0 {
		must(os.Chmod(sasldb, 0o644))
	}

	queue := filepath.Join(dir, "queue")
	data := filepath.Join(dir, "data")
	must(os.MkdirAll(data, 0o755))
	must(os.MkdirAll(queue, 0o755))
	// data_directory belongs to mail_owner (master's lock, the TLS
	// session cache); Postfix creates the queue's subdirectories itself.
	pf, err := user.Lookup("postfix")
	must(err)
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	must(os.Chown(data, uid, gid))
	write("main.cf", fmt.Sprintf(`compatibility_level = 3.6
myhostname = postfix.outbox.test
mydomain = outbox.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
local_transport = error:no local delivery
mynetworks = 192.0.2.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = %[1]s
data_directory = %[2]s
meta_directory = /etc/postfix
maillog_file = %[3]s/maillog
maillog_file_prefixes = %[3]s
relayhost = [%[4]s]:%[5]s
smtp_tls_security_level = none
smtp_sasl_auth_enable = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = %[6]s
smtpd_tls_key_file = %[7]s
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = %[8]s
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = check_recipient_access texthash:%[9]s, permit_sasl_authenticated, reject
local_header_rewrite_clients =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
message_size_limit = 52428800
bounce_queue_lifetime = 0
maximal_queue_lifetime = 1h
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
anvil_rate_time_unit = 60s
smtputf8_enable = yes
biff = no
`, queue, data, dir, relayHost(o.Relay), relayPort(o.Relay), certFile, keyFile, saslDir, accessFile), 0o644)
	// Every service unchrooted (the chroot would need copies of /etc
	// files); the smtpd on our own port only.
	write("master.cf", fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, p.Port), 0o644)

	postfix := func(args ...string) ([]byte, error) {
		cmd := exec.Command("/usr/sbin/postfix", append([]string{"-c", dir}, args...)...)
		cmd.Env = append(os.Environ(), "MAIL_CONFIG="+dir)
		return cmd.CombinedOutput()
	}
	out, err := postfix("start")
	if err != nil {
		postfix("abort")
		t.Fatalf("smtptest: postfix -c %s start: %v\n%s\n%s", dir, err, out, p.Log())
	}
	t.Cleanup(func() {
		pid := 0
		if b, err := os.ReadFile(filepath.Join(queue, "pid", "master.pid")); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		postfix("stop")
		// postfix stop returns before master has exited.
		deadline := time.Now().Add(10 * time.Second)
		for pid > 0 && processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if pid > 0 && processAlive(pid) {
			postfix("abort")
		}
	})
	// Wait until smtpd answers.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(p.Host, strconv.Itoa(p.Port)), time.Second)
		if err == nil {
			buf := make([]byte, 3)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(buf)
			c.Close()
			if err == nil && bytes.Equal(buf, []byte("220")) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: postfix did not answer on port %d: %v\n%s", p.Port, err, p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

// freePort finds a loopback port nobody listens on (Postfix's master.cf
// needs a number; the small race with other programs is accepted).
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func relayHost(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func relayPort(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
