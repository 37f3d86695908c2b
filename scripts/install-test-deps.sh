#!/usr/bin/env bash
# Install what the test suite talks to: OpenSSH's sshd (SFTP tests), PostgreSQL (store tests),
# Chromium (the console's browser tests, driven by Playwright: never `playwright install`),
# and the unprivileged account the private sshd logs in as.
# Safe to run again: it installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

SFTP_USER=edisftp
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The private sshd started by the tests logs this account in; '*' unlocks key login
# (useradd leaves '!', which sshd refuses when PAM is off).
if ! id "$SFTP_USER" >/dev/null 2>&1; then
  as_root useradd --no-create-home --shell /usr/sbin/nologin "$SFTP_USER"
fi
as_root usermod -p '*' "$SFTP_USER"
as_root mkdir -p /run/sshd
as_root chmod 0755 /run/sshd
