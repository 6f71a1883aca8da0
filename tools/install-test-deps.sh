#!/usr/bin/env bash
# Installs what the tests need beyond the system packages, only when missing (PyPI, pinned): aiosmtpd,
# the real SMTP server that tools/smtp-test-server.py runs for the Mailer tests and the scenario
# harness, and websockets, the WebSocket client tools/harness.py's facilitators use.
set -euo pipefail

if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd for the mail tests" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi
if ! python3 -c 'import websockets.sync.client' 2>/dev/null; then
  echo "installing websockets for the scenario harness" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'websockets==15.0.1'
fi
