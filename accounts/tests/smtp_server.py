"""A real SMTP server for the delivery tests and benchmark, run as its own process (aiosmtpd).

    python accounts/tests/smtp_server.py RECORD_FILE

Listens on a free port of 127.0.0.1 and prints it on the first line of its output. Each accepted message
is appended to RECORD_FILE as one JSON line (recipients, Message-ID, subject). Recipients whose address
starts with ``refused`` are refused for good (``550``), those starting with ``busy`` for now (``451``).
The first time an address starting with ``slow`` is given, the server takes ``SLOW_SECONDS`` over its answer,
a line every quarter of a second (each well within any socket timeout); afterwards it answers at once.
"""

import asyncio
import json
import sys
from email import message_from_bytes
from email.policy import default

from aiosmtpd.smtp import SMTP

SLOW_SECONDS = 4


class RecordingHandler:
    def __init__(self, record_path: str):
        self.record = open(record_path, "a", encoding="utf-8")
        self.slow_seen: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy"):
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("slow") and address not in self.slow_seen:
            self.slow_seen.add(address)
            for _ in range(SLOW_SECONDS * 4):
                await server.push("250-Still checking the mailbox")
                await asyncio.sleep(0.25)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        line = {"to": envelope.rcpt_tos, "message_id": message["Message-ID"], "subject": message["Subject"]}
        self.record.write(json.dumps(line) + "\n")
        self.record.flush()
        return "250 2.0.0 Queued"


async def serve(record_path: str) -> None:
    handler = RecordingHandler(record_path)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="localhost"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
