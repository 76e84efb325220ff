"""Python's smtplib speaking to `sendmail -bs` over a pair of pipes.

argv[1:] is the command; argv[1] also names the attachment file to send.
Prints one JSON object: the EHLO keywords, the final reply of each DATA,
the attachment's SHA-256 and the process's exit status.
"""
import hashlib
import json
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

attachment = sys.argv[1]
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


class PipeSocket:
    """The two pipes as smtplib's socket: sendall and makefile."""

    def sendall(self, data):
        proc.stdin.write(data)
        proc.stdin.flush()

    def makefile(self, mode):
        return proc.stdout

    def close(self):
        pass


class PipeSMTP(smtplib.SMTP):
    def _get_socket(self, host, port, timeout):
        return PipeSocket()


s = PipeSMTP()
code, _ = s.connect("sendmail-bs", 25)
assert code == 220, code
s.ehlo("pyclient.example")
features = sorted(s.esmtp_features)  # quit() forgets them

data = open(attachment, "rb").read()
one = EmailMessage()
one["From"] = "Py <py@example.com>"
one["To"] = "first@example.net"
one["Bcc"] = "secret@example.org"
one["Subject"] = "first"
one.set_content("line one\n.\n..two dots\n")
one.add_attachment(data, maintype="application", subtype="octet-stream", filename="data.bin")

# SMTP's policy ends lines in CRLF: smtplib.data() sends bytes as they
# are, and only after CRLF is a leading dot stuffing (RFC 5321 §4.5.2).
replies = []
s.mail("py@example.com")
s.rcpt("first@example.net")
s.rcpt("secret@example.org")
replies.append(s.data(one.as_bytes(policy=SMTP_POLICY))[1].decode())

two = EmailMessage()
two["From"] = "py@example.com"
two["To"] = "second@example.net"
two["Subject"] = "second"
two.set_content("Grüße\n")
s.mail("bounces@example.com", ["BODY=8BITMIME"])
s.rcpt("second@example.net")
replies.append(s.data(two.as_bytes(policy=SMTP_POLICY))[1].decode())
s.quit()
proc.stdin.close()
status = proc.wait()
print(json.dumps({
    "ehlo": features,
    "replies": replies,
    "sha256": hashlib.sha256(data).hexdigest(),
    "status": status,
}))
