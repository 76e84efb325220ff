package main

// Issue 3: every real caller of /usr/sbin/sendmail works unchanged.
//
// Each row of TestSendmailCallers is a real program's exact command line
// and the stdin it writes (research: sendmail-compat.md), run through run()
// — the same entry point as the installed binary — against an in-process
// SMTP server on loopback. The row says what the server must receive: MAIL
// FROM, every RCPT TO, the delivered bytes, and the exit status.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// callerCase is one sendmail invocation and what must come out of it.
type callerCase struct {
	name   string
	args   []string // argv, argv[0] included, exactly as the caller passes it
	stdin  string
	config string // extra TOML for the top of the config file ([aliases] by default)

	code   int    // exit status
	stderr string // regexp stderr must match; "" means stderr must be empty
	from   string // MAIL FROM
	rcpts  []string
	notify string // NOTIFY of every RCPT, as fmt prints []DSNNotify
	// msg is the delivered message with "\n" for CRLF. A generated Date
	// or Message-ID shows as "Date: {DATE}" / "Message-ID: {MSGID}".
	msg string
}

// defaultAliases is the config of the rows that don't set their own.
const defaultAliases = `[aliases]
root = "ops@example.com"
`

func TestSendmailCallers(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none", EnableDSN: true, EnableSMTPUTF8: true})
	me := localUser()

	for _, c := range []callerCase{
		{
			// cronie: MAILARGS "-FCronDaemon -i -odi -oem -oi -t -f %s",
			// with the user as -f and a From of its own.
			name: "cronie",
			args: []string{"sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"},
			stdin: "From: \"(Cron Daemon)\" <root>\n" +
				"To: root\n" +
				"Subject: Cron <root@web1> /usr/local/bin/backup.sh\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=UTF-8\n" +
				"Auto-Submitted: auto-generated\n" +
				"Precedence: bulk\n" +
				"X-Cron-Env: <SHELL=/bin/sh>\n" +
				"X-Cron-Env: <HOME=/root>\n" +
				"\n" +
				"backup: 3 files copied\n" +
				".\n" +
				"done\n",
			from: "ops@example.com", rcpts: []string{"ops@example.com"},
			msg: "From: \"(Cron Daemon)\" <root@example.com>\n" +
				"To: root@example.com\n" +
				"Subject: Cron <root@web1> /usr/local/bin/backup.sh\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=UTF-8\n" +
				"Auto-Submitted: auto-generated\n" +
				"Precedence: bulk\n" +
				"X-Cron-Env: <SHELL=/bin/sh>\n" +
				"X-Cron-Env: <HOME=/root>\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"backup: 3 files copied\n" +
				".\n" +
				"done\n",
		},
		{
			// Debian cron: "-FCronDaemon -i -B8BITMIME -oem" and the
			// MAILTO value (here a local name) as the argument; a UTF-8
			// body.
			name: "debian cron",
			args: []string{"sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
			stdin: "From: root (Cron Daemon)\n" +
				"To: root\n" +
				"Subject: Cron <root@web1> test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=UTF-8\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"X-Cron-Env: <SHELL=/bin/sh>\n" +
				"\n" +
				"/etc/cron.daily/logrotate: sauvegarde terminée\n",
			from: "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "From: root@example.com (Cron Daemon)\n" +
				"To: root@example.com\n" +
				"Subject: Cron <root@web1> test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=UTF-8\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"X-Cron-Env: <SHELL=/bin/sh>\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"/etc/cron.daily/logrotate: sauvegarde terminée\n",
		},
		{
			// Cron with no output lines but a job that still mails: an
			// empty message is a valid mail with the generated header.
			name:  "cron empty message",
			args:  []string{"sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
			stdin: "",
			from:  "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "Date: {DATE}\n" +
				"From: \"CronDaemon\" <sender@example.com>\n" +
				"Message-ID: {MSGID}\n" +
				"\n",
		},
		{
			// PHP mail() with sendmail_path "sendmail -t -i": PHP 8
			// ends its own header lines with CRLF, the body is the
			// script's (LF).
			name: "php mail",
			args: []string{"sendmail", "-t", "-i"},
			stdin: "To: customer@example.org\r\n" +
				"Subject: Your order\r\n" +
				"X-PHP-Originating-Script: 33:checkout.php\r\n" +
				"From: shop@example.org\r\n" +
				"\r\n" +
				"Thank you.\n" +
				".\n" +
				"Order 42\n",
			from: "sender@example.com", rcpts: []string{"customer@example.org"},
			msg: "To: customer@example.org\n" +
				"Subject: Your order\n" +
				"X-PHP-Originating-Script: 33:checkout.php\n" +
				"From: shop@example.org\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"Thank you.\n" +
				".\n" +
				"Order 42\n",
		},
		{
			// mail()'s fifth parameter "-fwww@example.org" is appended.
			name:  "php mail -f",
			args:  []string{"sendmail", "-t", "-i", "-f", "www@example.org"},
			stdin: "To: a@example.org\nSubject: s\n\nbody\n",
			from:  "www@example.org", rcpts: []string{"a@example.org"},
			msg: "To: a@example.org\nSubject: s\n" +
				"Date: {DATE}\nFrom: www@example.org\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			// git send-email --sendmail-cmd=sendmail: "-i", the sender,
			// then every address. A patch may hold "." and ".." lines.
			name: "git send-email",
			args: []string{"sendmail", "-i", "-f", "dev@example.org", "maint@example.net", "list@example.net"},
			stdin: "From: Dev Eloper <dev@example.org>\n" +
				"To: maint@example.net\n" +
				"Cc: list@example.net\n" +
				"Subject: [PATCH] docs: explain the lone dot\n" +
				"Date: Tue, 14 May 2024 10:00:00 +0200\n" +
				"Message-ID: <20240514080000.1-1-dev@example.org>\n" +
				"X-Mailer: git-send-email 2.43.0\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"\n" +
				"---\n" +
				" doc.txt | 2 ++\n" +
				"\n" +
				"--- a/doc.txt\n" +
				"+++ b/doc.txt\n" +
				"@@ -1 +1,3 @@\n" +
				" text\n" +
				"+.\n" +
				".\n" +
				"..\n" +
				".hidden\n" +
				"-- \n" +
				"2.43.0\n",
			from: "dev@example.org", rcpts: []string{"maint@example.net", "list@example.net"},
			msg: "From: Dev Eloper <dev@example.org>\n" +
				"To: maint@example.net\n" +
				"Cc: list@example.net\n" +
				"Subject: [PATCH] docs: explain the lone dot\n" +
				"Date: Tue, 14 May 2024 10:00:00 +0200\n" +
				"Message-ID: <20240514080000.1-1-dev@example.org>\n" +
				"X-Mailer: git-send-email 2.43.0\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"\n" +
				"---\n" +
				" doc.txt | 2 ++\n" +
				"\n" +
				"--- a/doc.txt\n" +
				"+++ b/doc.txt\n" +
				"@@ -1 +1,3 @@\n" +
				" text\n" +
				"+.\n" +
				".\n" +
				"..\n" +
				".hidden\n" +
				"-- \n" +
				"2.43.0\n",
		},
		{
			// mutt/neomutt: "-oem -oi", its sender, DSN, then "--".
			name: "mutt",
			args: []string{"sendmail", "-oem", "-oi", "-f", "me@example.org", "-N", "success,failure", "--", "friend@example.net"},
			stdin: "Date: Wed, 15 May 2024 09:30:00 +0200\n" +
				"From: Me <me@example.org>\n" +
				"To: friend@example.net\n" +
				"Subject: lunch?\n" +
				"Message-ID: <Zk1@example.org>\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=us-ascii\n" +
				"Content-Disposition: inline\n" +
				"User-Agent: NeoMutt/20231103\n" +
				"\n" +
				"12:30?\n",
			from: "me@example.org", rcpts: []string{"friend@example.net"}, notify: "[SUCCESS FAILURE]",
			msg: "Date: Wed, 15 May 2024 09:30:00 +0200\n" +
				"From: Me <me@example.org>\n" +
				"To: friend@example.net\n" +
				"Subject: lunch?\n" +
				"Message-ID: <Zk1@example.org>\n" +
				"MIME-Version: 1.0\n" +
				"Content-Type: text/plain; charset=us-ascii\n" +
				"Content-Disposition: inline\n" +
				"User-Agent: NeoMutt/20231103\n" +
				"\n" +
				"12:30?\n",
		},
		{
			// logwatch: "-t" alone, so a lone "." ends the message.
			name: "logwatch",
			args: []string{"sendmail", "-t"},
			stdin: "To: root\n" +
				"From: logwatch@web1.example.com\n" +
				"Subject: Logwatch for web1 (Linux)\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 7bit\n" +
				"Content-Type: text/plain; charset=\"iso-8859-1\"\n" +
				"\n" +
				" ################### Logwatch 7.8 (01/22/22) ####################\n" +
				"        Processing Initiated: Thu May 16 03:10:01 2024\n" +
				"...\n" +
				".\n" +
				"never sent\n",
			from: "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "To: root@example.com\n" +
				"From: logwatch@web1.example.com\n" +
				"Subject: Logwatch for web1 (Linux)\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 7bit\n" +
				"Content-Type: text/plain; charset=\"iso-8859-1\"\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				" ################### Logwatch 7.8 (01/22/22) ####################\n" +
				"        Processing Initiated: Thu May 16 03:10:01 2024\n" +
				"...\n",
		},
		{
			// mdadm --monitor: "-t", a local From with a display name.
			name: "mdadm",
			args: []string{"sendmail", "-t"},
			stdin: "From: mdadm monitoring <root>\n" +
				"To: root\n" +
				"Subject: Fail event on /dev/md0:web1\n" +
				"\n" +
				"This is an automatically generated mail message from mdadm\n" +
				"running on web1\n",
			from: "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "From: mdadm monitoring <root@example.com>\n" +
				"To: root@example.com\n" +
				"Subject: Fail event on /dev/md0:web1\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"This is an automatically generated mail message from mdadm\n" +
				"running on web1\n",
		},
		{
			// smartd (and zed, Nagios) mail through mailx: bsd-mailx
			// runs "sendmail -i -- ADDR" with a header of To and Subject.
			name: "smartd via mailx",
			args: []string{"sendmail", "-i", "--", "root"},
			stdin: "To: root\n" +
				"Subject: SMART error (FailedReadSmartData) detected on host: web1\n" +
				"\n" +
				"This message was generated by the smartd daemon running on:\n" +
				"   host name:  web1\n",
			from: "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "To: root@example.com\n" +
				"Subject: SMART error (FailedReadSmartData) detected on host: web1\n" +
				"Date: {DATE}\n" +
				"From: \"Test Sender\" <sender@example.com>\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"This message was generated by the smartd daemon running on:\n" +
				"   host name:  web1\n",
		},
		{
			// unattended-upgrades: "-oi -t"; Python's email package
			// writes a base64 UTF-8 body and "From: root".
			name: "unattended-upgrades",
			args: []string{"sendmail", "-oi", "-t"},
			stdin: "Content-Type: text/plain; charset=\"utf-8\"\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: base64\n" +
				"Subject: unattended-upgrades result for web1: SUCCESS\n" +
				"From: root\n" +
				"To: root\n" +
				"Auto-Submitted: auto-generated\n" +
				"\n" +
				"VW5hdHRlbmRlZCB1cGdyYWRlIHJlc3VsdDogQWxsIHVwZ3JhZGVzIGluc3RhbGxlZAo=\n",
			from: "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "Content-Type: text/plain; charset=\"utf-8\"\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: base64\n" +
				"Subject: unattended-upgrades result for web1: SUCCESS\n" +
				"From: root@example.com\n" +
				"To: root@example.com\n" +
				"Auto-Submitted: auto-generated\n" +
				"Date: {DATE}\n" +
				"Message-ID: {MSGID}\n" +
				"\n" +
				"VW5hdHRlbmRlZCB1cGdyYWRlIHJlc3VsdDogQWxsIHVwZ3JhZGVzIGluc3RhbGxlZAo=\n",
		},
		{
			// Django's sendmail backend: "-t -i", an 8bit UTF-8 body
			// with MIME headers, Date and Message-ID of its own.
			name: "python django",
			args: []string{"sendmail", "-t", "-i"},
			stdin: "Content-Type: text/plain; charset=\"utf-8\"\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"Subject: Password reset on example.org\n" +
				"From: webmaster@example.org\n" +
				"To: user@example.net\n" +
				"Date: Thu, 16 May 2024 08:00:00 -0000\n" +
				"Message-ID: <171584640000.1.2@web1.example.org>\n" +
				"\n" +
				"Grüße,\n" +
				"the example.org team\n",
			from: "sender@example.com", rcpts: []string{"user@example.net"},
			msg: "Content-Type: text/plain; charset=\"utf-8\"\n" +
				"MIME-Version: 1.0\n" +
				"Content-Transfer-Encoding: 8bit\n" +
				"Subject: Password reset on example.org\n" +
				"From: webmaster@example.org\n" +
				"To: user@example.net\n" +
				"Date: Thu, 16 May 2024 08:00:00 -0000\n" +
				"Message-ID: <171584640000.1.2@web1.example.org>\n" +
				"\n" +
				"Grüße,\n" +
				"the example.org team\n",
		},
		{
			// Ruby's mail gem: "-i -f FROM -- ADDR", CRLF throughout.
			name: "ruby mail gem",
			args: []string{"sendmail", "-i", "-f", "app@example.org", "--", "user@example.net"},
			stdin: "Date: Thu, 16 May 2024 10:00:00 +0000\r\n" +
				"From: app@example.org\r\n" +
				"To: user@example.net\r\n" +
				"Message-ID: <6645d@web1.mail>\r\n" +
				"Subject: Welcome\r\n" +
				"Mime-Version: 1.0\r\n" +
				"Content-Type: text/plain;\r\n" +
				" charset=UTF-8\r\n" +
				"Content-Transfer-Encoding: 7bit\r\n" +
				"\r\n" +
				"Welcome aboard.\r\n",
			from: "app@example.org", rcpts: []string{"user@example.net"},
			msg: "Date: Thu, 16 May 2024 10:00:00 +0000\n" +
				"From: app@example.org\n" +
				"To: user@example.net\n" +
				"Message-ID: <6645d@web1.mail>\n" +
				"Subject: Welcome\n" +
				"Mime-Version: 1.0\n" +
				"Content-Type: text/plain;\n" +
				" charset=UTF-8\n" +
				"Content-Transfer-Encoding: 7bit\n" +
				"\n" +
				"Welcome aboard.\n",
		},
		{
			// s-nail/bsd-mailx "mail -s" without a From of its own.
			name:  "mailx",
			args:  []string{"sendmail", "-i", "--", "ops@example.net"},
			stdin: "To: ops@example.net\nSubject: disk usage\n\n/dev/sda1 91%\n",
			from:  "sender@example.com", rcpts: []string{"ops@example.net"},
			msg: "To: ops@example.net\nSubject: disk usage\n" +
				"Date: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\n/dev/sda1 91%\n",
		},

		// Line endings: whatever comes in, CRLF goes out.
		{
			name:  "bare CR line ends",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "Subject: cr\rFrom: x@example.net\r\rone\rtwo\r\rthree",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: cr\nFrom: x@example.net\nDate: {DATE}\nMessage-ID: {MSGID}\n\none\ntwo\n\nthree\n",
		},
		{
			name:  "mixed line ends",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "Subject: mixed\r\nFrom: x@example.net\n\rCR LF\r\nLF\nCR\rCRCRLF\r\r\nend",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: mixed\nFrom: x@example.net\nDate: {DATE}\nMessage-ID: {MSGID}\n\nCR LF\nLF\nCR\nCRCRLF\n\nend\n",
		},
		{
			// An mbox "From " separator first (mail saved from a
			// mailbox and piped back in) is not part of the message.
			name:  "mbox From line",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "From me@example.org Thu May 16 10:00:00 2024\nFrom: me@example.org\nSubject: re-sent\n\nbody\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "From: me@example.org\nSubject: re-sent\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbody\n",
		},

		// Dots.
		{
			name:  "lone dot ends input without -i",
			args:  []string{"sendmail", "a@example.net"},
			stdin: "Subject: dot\nFrom: x@example.net\n\nbefore\n.\nafter\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: dot\nFrom: x@example.net\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbefore\n",
		},
		{
			name:  "lone dot is data with -oi",
			args:  []string{"sendmail", "-oi", "a@example.net"},
			stdin: "Subject: dot\nFrom: x@example.net\n\nbefore\n.\n..\n.foo\nafter\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: dot\nFrom: x@example.net\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbefore\n.\n..\n.foo\nafter\n",
		},

		// Recipients from the header.
		{
			name:  "-t removes Bcc and adds argument recipients",
			args:  []string{"sendmail", "-t", "-i", "extra@example.net"},
			stdin: "From: x@example.net\nTo: A <a@example.net>, root\nCc: c@example.net\nBcc: hidden@example.net,\n secret@example.net\nSubject: bcc\n\nbody\n",
			from:  "sender@example.com",
			rcpts: []string{"a@example.net", "ops@example.com", "c@example.net", "hidden@example.net", "secret@example.net", "extra@example.net"},
			msg:   "From: x@example.net\nTo: A <a@example.net>, root@example.com\nCc: c@example.net\nSubject: bcc\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:  "Bcc kept without -t",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "From: x@example.net\nBcc: b@example.net\n\nbody\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "From: x@example.net\nBcc: b@example.net\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:   "-t without recipients names the headers read",
			args:   []string{"sendmail", "-t", "-i"},
			stdin:  "From: x@example.net\nCc: undisclosed-recipients:;\nSubject: nobody\n\nbody\n",
			code:   64,
			stderr: `^outbox: no recipients: -t found none in the message header \(read Cc\); add a To: header or give the address as an argument\n$`,
		},
		{
			name:   "-t without any address header",
			args:   []string{"sendmail", "-t"},
			stdin:  "Subject: nobody\n\nbody\n",
			code:   64,
			stderr: `\(no To, Cc or Bcc header\)`,
		},
		{
			name:   "no recipients at all",
			args:   []string{"sendmail", "-i"},
			stdin:  "Subject: s\n\nbody\n",
			code:   64,
			stderr: `^outbox: no recipients: give the address as an argument`,
		},

		// Local names: [aliases], chains, "default", default_domain.
		{
			name:   "alias chain and lists",
			args:   []string{"sendmail", "-i", "root", "postmaster"},
			config: "[aliases]\nroot = \"admins\"\nadmins = [\"alice@example.net\", \"bob\"]\npostmaster = \"root\"\n",
			stdin:  "Subject: chain\n\nbody\n",
			from:   "sender@example.com", rcpts: []string{"alice@example.net", "bob@example.com"},
			msg: "Subject: chain\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:   "default alias catches other local names",
			args:   []string{"sendmail", "-i", "backup", "www-data"},
			config: "[aliases]\ndefault = \"ops@example.com\"\n",
			stdin:  "Subject: default\n\nbody\n",
			from:   "sender@example.com", rcpts: []string{"ops@example.com"},
			msg: "Subject: default\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:   "no alias: default_domain",
			args:   []string{"sendmail", "-i", "www-data"},
			config: "[aliases]\n",
			stdin:  "Subject: domain\n\nbody\n",
			from:   "sender@example.com", rcpts: []string{"www-data@example.com"},
			msg: "Subject: domain\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:   "alias loop",
			args:   []string{"sendmail", "-i", "a"},
			config: "[aliases]\na = \"b\"\nb = \"a\"\n",
			stdin:  "Subject: loop\n\nbody\n",
			code:   78,
			stderr: `alias loop: a -> b -> a`,
		},
		{
			name:  "local envelope sender through aliases",
			args:  []string{"sendmail", "-i", "-f", "root", "a@example.net"},
			stdin: "Subject: sender\n\nbody\n",
			from:  "ops@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: sender\nDate: {DATE}\nFrom: ops@example.com\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:   "local envelope sender without alias",
			args:   []string{"sendmail", "-i", "-f", "nobody", "a@example.net"},
			config: "[aliases]\n",
			stdin:  "Subject: sender\n\nbody\n",
			from:   "nobody@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: sender\nDate: {DATE}\nFrom: nobody@example.com\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			// A sender alias that lists several people can't be one
			// MAIL FROM: the name goes to default_domain instead.
			name:   "local envelope sender with a list alias",
			args:   []string{"sendmail", "-i", "-f", "root", "a@example.net"},
			config: "[aliases]\nroot = \"alice@example.net, bob@example.net\"\n",
			stdin:  "Subject: sender\n\nbody\n",
			from:   "root@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: sender\nDate: {DATE}\nFrom: root@example.com\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:  "null sender without From",
			args:  []string{"sendmail", "-i", "-f", "", "a@example.net"},
			stdin: "Subject: bounce\n\nbody\n",
			from:  "", rcpts: []string{"a@example.net"},
			msg: "Subject: bounce\nDate: {DATE}\nFrom: MAILER-DAEMON@example.com\nMessage-ID: {MSGID}\n\nbody\n",
		},
		{
			name:  "null sender",
			args:  []string{"sendmail", "-i", "-f", "<>", "a@example.net"},
			stdin: "From: MAILER-DAEMON@example.com\nSubject: bounce\n\nbody\n",
			from:  "", rcpts: []string{"a@example.net"},
			msg: "From: MAILER-DAEMON@example.com\nSubject: bounce\nDate: {DATE}\nMessage-ID: {MSGID}\n\nbody\n",
		},

		// The From: added when the message has none.
		{
			name:  "From from -F and -f",
			args:  []string{"sendmail", "-F", "Backup Job", "-f", "backup@example.org", "-i", "a@example.net"},
			stdin: "Subject: nightly\n\nok\n",
			from:  "backup@example.org", rcpts: []string{"a@example.net"},
			msg: "Subject: nightly\nDate: {DATE}\nFrom: \"Backup Job\" <backup@example.org>\nMessage-ID: {MSGID}\n\nok\n",
		},
		{
			name:   "From from user@default_domain",
			args:   []string{"sendmail", "-i", "a@example.net"},
			config: "[accounts.test]\nfrom = \"\"\n",
			stdin:  "Subject: who\n\nok\n",
			from:   me + "@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: who\nDate: {DATE}\nFrom: " + me + "@example.com\nMessage-ID: {MSGID}\n\nok\n",
		},

		// 8-bit content.
		{
			name:  "8-bit body without MIME header",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "Subject: cron output\n\nSauvegarde terminée\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: cron output\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\nSauvegarde terminée\n",
		},
		{
			name:  "7-bit body stays 7BIT",
			args:  []string{"sendmail", "-i", "a@example.net"},
			stdin: "Subject: ascii\n\nplain\n",
			from:  "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "Subject: ascii\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\nplain\n",
		},

		// Flags.
		{
			name:   "unknown flag",
			args:   []string{"sendmail", "-k", "a@example.net"},
			code:   64,
			stderr: `^outbox: sendmail: unknown option -k `,
		},
		{
			// PHPMailer CVE-2016-10033: -X names a log file; it is
			// never written.
			name:   "-X is ignored with a warning",
			args:   []string{"sendmail", "-t", "-i", "-X", "{DIR}/x.php"},
			stdin:  "To: a@example.net\nSubject: x\n\n<?php system($_GET['c']); ?>\n",
			stderr: `^outbox: warning: -X .*x.php`,
			from:   "sender@example.com", rcpts: []string{"a@example.net"},
			msg: "To: a@example.net\nSubject: x\nDate: {DATE}\nFrom: \"Test Sender\" <sender@example.com>\nMessage-ID: {MSGID}\n\n<?php system($_GET['c']); ?>\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) { runCaller(t, srv, c) })
	}
}

// runCaller runs one row against srv with a fresh home, config and queue.
func runCaller(t *testing.T, srv *smtptest.Server, c callerCase) {
	dir := sendmailEnv(t, srv.Port, c.config)
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "{DIR}", dir)
	}
	before := len(srv.Messages())
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(c.stdin), &stdout, &stderr)
	if code != c.code {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, stderr.String())
	}
	if c.stderr == "" && stderr.Len() > 0 {
		t.Errorf("stderr: %q, want nothing", stderr.String())
	} else if c.stderr != "" && !regexp.MustCompile(c.stderr).Match(stderr.Bytes()) {
		t.Errorf("stderr %q does not match %q", stderr.String(), c.stderr)
	}
	// -X: nothing may have been written where it pointed.
	if _, err := os.Stat(filepath.Join(dir, "x.php")); err == nil {
		t.Errorf("a file appeared at the -X path")
	}
	msgs := srv.Messages()[before:]
	if c.code != 0 {
		if len(msgs) != 0 {
			t.Fatalf("%d message(s) delivered by a failed run", len(msgs))
		}
		return
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != c.from {
		t.Errorf("MAIL FROM:<%s>, want <%s>", m.From, c.from)
	}
	if strings.Join(m.To, " ") != strings.Join(c.rcpts, " ") {
		t.Errorf("RCPT TO %q, want %q", m.To, c.rcpts)
	}
	for _, r := range m.To {
		got := ""
		if o := m.RcptOpts[r]; o != nil && len(o.Notify) > 0 {
			got = fmt.Sprint(o.Notify)
		}
		if got != c.notify {
			t.Errorf("RCPT TO:<%s> NOTIFY %q, want %q", r, got, c.notify)
		}
	}
	if err := crlfOnly(m.Data); err != nil {
		t.Errorf("delivered bytes: %v", err)
	}
	got := generatedFields(t, string(bytes.ReplaceAll(m.Data, []byte("\r\n"), []byte("\n"))), c.stdin)
	if got != c.msg {
		t.Errorf("delivered message:\n%s\nwant:\n%s", got, c.msg)
	}
	// Sent: nothing may be left in the queue.
	for _, sub := range []string{"new", "tmp", "failed"} {
		if ents, _ := os.ReadDir(filepath.Join(dir, "queue", sub)); len(ents) > 0 {
			t.Errorf("queue/%s holds %d files after a successful send", sub, len(ents))
		}
	}
}

var (
	genDate  = regexp.MustCompile(`(?m)^Date: ([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4})$`)
	genMsgID = regexp.MustCompile(`(?m)^Message-ID: (<[A-Za-z0-9._-]+@example\.com>)$`)
)

// generatedFields replaces the Date and Message-ID values outbox generated
// (those not in the input) by {DATE} and {MSGID}, after checking their
// form.
func generatedFields(t *testing.T, msg, input string) string {
	t.Helper()
	for _, f := range []struct {
		re   *regexp.Regexp
		name string
	}{{genDate, "Date: {DATE}"}, {genMsgID, "Message-ID: {MSGID}"}} {
		msg = f.re.ReplaceAllStringFunc(msg, func(line string) string {
			if strings.Contains(input, line) {
				return line
			}
			return f.name
		})
	}
	return msg
}

// sendmailEnv points outbox at a fresh config (account "test" on the
// plaintext server at port, from "Test Sender <sender@example.com>") and
// a fresh queue, home and state directory; it returns that directory.
// extra replaces the default [aliases]; "[accounts.test]" lines in it are
// added to the account, overriding its keys.
func sendmailEnv(t *testing.T, port int, extra string) string {
	t.Helper()
	dir := t.TempDir()
	account := map[string]string{
		"host": `"127.0.0.1"`, "port": strconv.Itoa(port), "tls": `"none"`,
		"from": `"Test Sender <sender@example.com>"`, "timeout": `"5s"`,
	}
	top := defaultAliases
	if extra != "" {
		top = extra
	}
	if i := strings.Index(top, "[accounts.test]\n"); i >= 0 {
		sc := bufio.NewScanner(strings.NewReader(top[i+len("[accounts.test]\n"):]))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), " = "); ok {
				account[k] = v
			}
		}
		top = top[:i]
	}
	var b strings.Builder
	b.WriteString("default_domain = \"example.com\"\n" + top + "\n[accounts.test]\n")
	for _, k := range []string{"host", "port", "tls", "from", "timeout"} {
		if account[k] != `""` {
			fmt.Fprintf(&b, "%s = %s\n", k, account[k])
		}
	}
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"OUTBOX_CONFIG": cfg, "OUTBOX_QUEUE_DIR": filepath.Join(dir, "queue"), "OUTBOX_MAILDROP_DIR": filepath.Join(dir, "maildrop"),
		"HOME": filepath.Join(dir, "home"), "XDG_CONFIG_HOME": filepath.Join(dir, "home", ".config"),
		"XDG_STATE_HOME": filepath.Join(dir, "home", ".local", "state"),
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"OUTBOX_HOST", "OUTBOX_PORT", "OUTBOX_TLS", "OUTBOX_USERNAME", "OUTBOX_PASSWORD", "OUTBOX_FROM", "OUTBOX_ACCOUNT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return dir
}

// plainSMTP is a minimal server that offers no extensions at all (no
// 8BITMIME, no DSN, no AUTH): the old smarthosts that exist. It records
// the DATA bytes as received on the wire, still dot-stuffed.
type plainSMTP struct {
	addr string
	mu   sync.Mutex
	data [][]byte
}

func startPlainSMTP(t *testing.T) *plainSMTP {
	s := &plainSMTP{}
	s.addr = smtptest.Script(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		fmt.Fprintf(c, "220 old.example.com ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				fmt.Fprintf(c, "250 old.example.com\r\n")
			case strings.HasPrefix(cmd, "DATA"):
				fmt.Fprintf(c, "354 go ahead\r\n")
				var data []byte
				for {
					l, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					if string(l) == ".\r\n" {
						break
					}
					data = append(data, l...)
				}
				s.mu.Lock()
				s.data = append(s.data, data)
				s.mu.Unlock()
				fmt.Fprintf(c, "250 queued\r\n")
			case strings.HasPrefix(cmd, "QUIT"):
				fmt.Fprintf(c, "221 bye\r\n")
				return
			default: // MAIL, RCPT, RSET, NOOP
				fmt.Fprintf(c, "250 ok\r\n")
			}
		}
	})
	return s
}

func (s *plainSMTP) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.data...)
}

// Issue 3: 8-bit content and a server without 8BITMIME (SPEC §1: "else
// the send fails clearly"); dot-stuffing as it appears on the wire.
func TestSendmailNo8BitMIME(t *testing.T) {
	srv := startPlainSMTP(t)
	_, portStr, _ := net.SplitHostPort(srv.addr)
	port, _ := strconv.Atoi(portStr)

	// Debian cron passes -B8BITMIME for every mail; a 7-bit one goes out.
	dir := sendmailEnv(t, port, "")
	var stdout, stderr bytes.Buffer
	in := "Subject: ascii\n\nall 7-bit\n..\n.dot\n.\n"
	if code := run([]string{"sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"}, strings.NewReader(in), &stdout, &stderr); code != 0 {
		t.Fatalf("7-bit with -B8BITMIME: exit %d: %s", code, stderr.String())
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	// RFC 5321 §4.5.2: every line starting with "." gets one more.
	if !bytes.HasSuffix(msgs[0], []byte("\r\n\r\nall 7-bit\r\n...\r\n..dot\r\n..\r\n")) {
		t.Errorf("wire bytes not dot-stuffed as expected: %q", msgs[0])
	}

	// An 8-bit single-part body is re-encoded as quoted-printable (the
	// server did not announce 8BITMIME, RFC 6152 §3) and delivered.
	stderr.Reset()
	code := run([]string{"sendmail", "-i", "root"}, strings.NewReader("Subject: cron\n\nSauvegarde terminée\n"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("8-bit single part: exit %d; stderr %s", code, stderr.String())
	}
	msgs = srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages on the server, want 2", len(msgs))
	}
	for _, want := range []string{"Content-Transfer-Encoding: quoted-printable\r\n", "charset=utf-8", "Sauvegarde termin=C3=A9e\r\n"} {
		if !bytes.Contains(msgs[1], []byte(want)) {
			t.Errorf("converted message lacks %q:\n%s", want, msgs[1])
		}
	}
	for i, c := range msgs[1] {
		if c >= 0x80 {
			t.Fatalf("8-bit byte at %d in the converted message", i)
		}
	}

	// A multipart message with an 8-bit part can't be converted safely:
	// refused before MAIL with a clear reason, kept in failed/ (never
	// lost), exit 69.
	stderr.Reset()
	multi := "Subject: m\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nterminée\n--b--\n"
	code = run([]string{"sendmail", "-i", "root"}, strings.NewReader(multi), &stdout, &stderr)
	if code != 69 {
		t.Fatalf("8-bit multipart: exit %d, want 69; stderr %s", code, stderr.String())
	}
	if !regexp.MustCompile(`8-bit content .* does not offer 8BITMIME`).Match(stderr.Bytes()) || !strings.Contains(stderr.String(), "failed queue") {
		t.Errorf("stderr %q", stderr.String())
	}
	if n := len(srv.messages()); n != 2 {
		t.Errorf("%d messages on the server, want still 2", n)
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, "queue", "failed", "*.eml")); len(ents) != 1 {
		t.Errorf("failed/ holds %d messages, want 1", len(ents))
	}
}
