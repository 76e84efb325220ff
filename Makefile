# outbox: build, install, uninstall, cross-build.
#
#   make                        build ./outbox (static: CGO_ENABLED=0)
#   make install                into /usr/local (PREFIX), staged under DESTDIR
#   make install PREFIX=/usr    also makes /usr/sbin/sendmail point at outbox
#                               (and installs the systemd units of system mode
#                               into SYSTEMDUNITDIR; SYSTEMDUNITDIR= skips them)
#   make uninstall              remove what install put there
#   make cross                  build for linux, darwin, windows, freebsd x amd64, arm64
#   make packages               dist/: .deb, .rpm, .apk (amd64, arm64), release
#                               archives for every platform, SHA256SUMS; reproducible
#                               (packaging/release, nfpm pinned in its go.mod)
#
# The man page and completion scripts are installed from the checked-in
# copies (man/, completions/), so packagers cross-compiling need not run
# the binary; `go generate ./...` regenerates them.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# systemd units for system mode (maildrop pickup, retry timer); empty: none.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
UNITS = outbox-pickup.path outbox-pickup.service outbox-flush.timer outbox-flush.service

# SENDMAIL_LINK=no leaves sbin/sendmail alone (another MTA stays in charge).
SENDMAIL_LINK ?= yes

GO      ?= go
BIN     ?= outbox
# One version everywhere (scripts/version): the tag vX.Y.Z, else
# 0.0.0-<commit time>-<commit>; SOURCE_DATE_EPOCH is the commit's time.
VERSION ?= $(shell scripts/version 2>/dev/null || echo dev)
COMMIT  ?= $(shell scripts/version commit 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell scripts/version epoch 2>/dev/null)
LDFLAGS ?= -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
INSTALL ?= install

.PHONY: all install uninstall cross packages clean FORCE

all: $(BIN)

# FORCE: go's own cache decides what to rebuild; make can't see Go deps.
$(BIN): FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

install: $(BIN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/outbox
	ln -sf outbox $(DESTDIR)$(BINDIR)/mailq
	ln -sf outbox $(DESTDIR)$(BINDIR)/newaliases
	@if [ "$(SENDMAIL_LINK)" = yes ]; then \
		link=$(DESTDIR)$(SBINDIR)/sendmail; \
		if [ -e "$$link" ] || [ -L "$$link" ]; then \
			case "$$(readlink "$$link" 2>/dev/null)" in \
			*/outbox|outbox) ;; \
			*) echo "make: $$link exists and is not outbox (another MTA?): remove it, or run make install SENDMAIL_LINK=no" >&2; exit 1 ;; \
			esac; \
		fi; \
		$(INSTALL) -d $(DESTDIR)$(SBINDIR); \
		echo "ln -sf $(BINDIR)/outbox $$link"; \
		ln -sf $(BINDIR)/outbox "$$link"; \
	fi
	$(INSTALL) -m 0644 man/outbox.1 $(DESTDIR)$(MANDIR)/man1/outbox.1
	$(INSTALL) -m 0644 completions/outbox.bash $(DESTDIR)$(BASHCOMPDIR)/outbox
	$(INSTALL) -m 0644 completions/_outbox $(DESTDIR)$(ZSHCOMPDIR)/_outbox
	$(INSTALL) -m 0644 completions/outbox.fish $(DESTDIR)$(FISHCOMPDIR)/outbox.fish
	@if [ -n "$(SYSTEMDUNITDIR)" ]; then \
		$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(TMPFILESDIR); \
		for u in $(UNITS); do \
			sed 's#/usr/bin/outbox#$(BINDIR)/outbox#' packaging/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
			chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
		done; \
		$(INSTALL) -m 0644 packaging/tmpfiles.d/outbox.conf $(DESTDIR)$(TMPFILESDIR)/outbox.conf; \
		echo "systemd units installed: systemctl enable --now outbox-pickup.path outbox-flush.timer"; \
	fi

uninstall:
	@link=$(DESTDIR)$(SBINDIR)/sendmail; \
	case "$$(readlink "$$link" 2>/dev/null)" in \
	*/outbox|outbox) echo "rm -f $$link"; rm -f "$$link" ;; \
	esac
	rm -f $(DESTDIR)$(BINDIR)/outbox $(DESTDIR)$(BINDIR)/mailq $(DESTDIR)$(BINDIR)/newaliases \
		$(DESTDIR)$(MANDIR)/man1/outbox.1 \
		$(DESTDIR)$(BASHCOMPDIR)/outbox $(DESTDIR)$(ZSHCOMPDIR)/_outbox $(DESTDIR)$(FISHCOMPDIR)/outbox.fish
	@if [ -n "$(SYSTEMDUNITDIR)" ]; then \
		for u in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done; \
		rm -f $(DESTDIR)$(TMPFILESDIR)/outbox.conf; \
	fi

cross:
	scripts/crossbuild

# The release tool is its own Go module (nfpm and its dependencies stay out
# of outbox's go.mod); go -C runs it there with its pinned versions.
packages:
	$(GO) -C packaging/release run . -root $(CURDIR) -out $(CURDIR)/dist \
		-version '$(VERSION)' -commit '$(COMMIT)' -epoch '$(SOURCE_DATE_EPOCH)'

clean:
	rm -f $(BIN)
	rm -rf dist
