#!/usr/bin/env bash
# Installs what the tests need beyond the system packages, only when missing: aiosmtpd, the real
# SMTP server that tools/smtp-test-server.py runs for the Mailer tests (PyPI, pinned).
set -euo pipefail

if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd for the mail tests" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi
