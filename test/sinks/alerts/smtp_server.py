"""A real SMTP server for tests (aiosmtpd): writes each message, parsed with Python's email
package, as JSON into the output directory. Recipients starting with "reject" get a 550."""
import json
import os
import sys
import time
import uuid
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        parts = {"text": None, "html": None, "attachments": []}
        for part in msg.walk():
            if part.is_multipart():
                continue
            if part.get_filename():
                parts["attachments"].append(
                    {"filename": part.get_filename(), "content": part.get_payload(decode=True).decode("utf-8")}
                )
            elif part.get_content_type() == "text/plain":
                parts["text"] = part.get_content()
            elif part.get_content_type() == "text/html":
                parts["html"] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "idempotency_key": str(msg["x-idempotency-key"]),
            **parts,
        }
        name = os.path.join(self.out, uuid.uuid4().hex)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name + ".json")
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
