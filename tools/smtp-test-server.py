#!/usr/bin/env python3
"""A real SMTP server for the Mailer tests (aiosmtpd), plus a MIME inspector.

serve:   listens on 127.0.0.1 at a free port, writes DIR/ready.json {"port": N} once listening, and for
         every message accepted DIR/message-N.eml (raw bytes) and DIR/message-N.json (envelope, whether
         TLS and AUTH were used, and the message as Python's email package parses it). Files appear
         atomically (temp + rename), so a test polling the folder never reads half a file.
         --tls starttls (STARTTLS offered and required before MAIL), implicit (TLS from the first byte,
         like port 465) or none (no TLS at all: clients that require it must refuse to send).
         --user/--password require AUTH (PLAIN or LOGIN, only over TLS).
         --rcpt-reply "450 ..." answers every RCPT TO with that reply (to test error classification).
         --stall accepts TCP connections and never answers (to test timeouts).
inspect: prints the JSON description of one .eml file, the same as the "parsed" field above.

Tests start it as a subprocess and stop it with SIGTERM; it needs nothing but aiosmtpd
(tools/install-test-deps.sh installs it).
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def inspect(raw: bytes) -> dict:
    """What a standards-following reader makes of the message: decoded headers and parts, defects."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    lines = raw.split(b"\r\n")
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "body": part.get_content().replace("\r\n", "\n"),
            "defects": [type(d).__name__ for d in part.defects],
        })
    return {
        "headers": [[name, str(value)] for name, value in message.items()],
        "subject": str(message["subject"]) if message["subject"] is not None else None,
        "from": str(message["from"]) if message["from"] is not None else None,
        "to": str(message["to"]) if message["to"] is not None else None,
        "message_id": str(message["message-id"]).strip() if message["message-id"] is not None else None,
        "date": str(message["date"]) if message["date"] is not None else None,
        "content_type": message.get_content_type(),
        "parts": parts,
        "defects": [type(d).__name__ for d in message.defects],
        "bare_line_feeds": raw.replace(b"\r\n", b"").count(b"\n"),
        "bare_carriage_returns": raw.replace(b"\r\n", b"").count(b"\r"),
        "longest_line": max((len(line) for line in lines), default=0),
    }


def write_atomically(path: str, data: bytes) -> None:
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.rename(temporary, path)


class Recorder:
    """aiosmtpd handler: checks RCPT (optionally refusing) and records each accepted message."""

    def __init__(self, directory: str, rcpt_reply: str | None):
        self.directory = directory
        self.rcpt_reply = rcpt_reply
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"message-{self.count}")
        raw = envelope.original_content or envelope.content
        write_atomically(base + ".eml", raw)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_login": getattr(session, "auth_login", None),
            "auth_mechanism": getattr(session, "auth_mechanism", None),
            "parsed": inspect(raw),
        }
        write_atomically(base + ".json", json.dumps(record).encode())
        return "250 Message accepted for delivery"


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        session.auth_mechanism = mechanism
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        if ok:
            session.auth_login = user
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False)
    return check


async def serve(arguments) -> None:
    # A parent may start us with SIGTERM blocked (inherited signal mask); make sure it can stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    context = None
    if arguments.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
    recorder = Recorder(arguments.directory, arguments.rcpt_reply)
    auth = authenticator(arguments.user, arguments.password) if arguments.user else None

    def factory():
        return SMTP(
            recorder,
            hostname="localhost",
            tls_context=context if arguments.tls == "starttls" else None,
            require_starttls=arguments.tls == "starttls",
            authenticator=auth,
            auth_required=auth is not None,
            # With implicit TLS aiosmtpd does not see the connection as TLS; it is, so allow AUTH.
            auth_require_tls=arguments.tls == "starttls",
        )

    loop = asyncio.get_running_loop()
    if arguments.stall:
        # Accepts TCP connections (the kernel completes the handshake) but never says a word.
        import socket
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        write_atomically(os.path.join(arguments.directory, "ready.json"), json.dumps({"port": listener.getsockname()[1], "pid": os.getpid()}).encode())
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        listener.close()
        return
    server = await loop.create_server(factory, "127.0.0.1", arguments.port, reuse_address=True, ssl=context if arguments.tls == "implicit" else None)
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(arguments.directory, "ready.json"), json.dumps({"port": port, "pid": os.getpid()}).encode())
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--directory", required=True)
    serve_parser.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
    here = os.path.dirname(os.path.abspath(__file__))
    serve_parser.add_argument("--cert", default=os.path.join(here, "..", "Fixtures", "smtp-tls", "server.pem"))
    serve_parser.add_argument("--key", default=os.path.join(here, "..", "Fixtures", "smtp-tls", "server-key.pem"))
    serve_parser.add_argument("--user")
    serve_parser.add_argument("--password")
    serve_parser.add_argument("--rcpt-reply")
    serve_parser.add_argument("--port", type=int, default=0, help="listen here instead of a free port (outage tests)")
    serve_parser.add_argument("--stall", action="store_true", help="accept connections but never answer (timeouts)")
    inspect_parser = commands.add_parser("inspect")
    inspect_parser.add_argument("file")
    arguments = parser.parse_args()
    if arguments.command == "inspect":
        with open(arguments.file, "rb") as file:
            json.dump(inspect(file.read()), sys.stdout)
        return
    asyncio.run(serve(arguments))


if __name__ == "__main__":
    main()
