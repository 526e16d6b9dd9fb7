"""A fake Twilio REST endpoint on loopback for .ci/prod-smoke: it accepts what
`client.messages.create` posts (Basic auth with the account SID and token of the environment),
appends each SMS as one JSON line to a file and answers as Twilio does (201 + a message resource).

    python .ci/fake_twilio.py --port-file PATH --out PATH

The portal reaches it through TWILIO_API_BASE_URL=http://127.0.0.1:<port>. Only the standard
library: it runs before anything else is known to work.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sid = os.environ["TWILIO_ACCOUNT_SID"]
    expected_auth = "Basic " + base64.b64encode(
        f"{sid}:{os.environ['TWILIO_AUTH_TOKEN']}".encode()).decode()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            match = MESSAGES.match(self.path)
            if match is None or match["sid"] != sid:
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            if self.headers.get("Authorization") != expected_auth:
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if not form.get("To") or not form.get("Body") or not form.get("From"):
                self._answer(400, {"code": 21604, "message": "missing parameter", "status": 400})
                return
            message_sid = "SM" + secrets.token_hex(16)
            record = {"sid": message_sid, "to": form["To"], "from": form["From"],
                      "body": form["Body"], "received_at": datetime.now(UTC).isoformat()}
            with lock, args.out.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._answer(201, {
                "sid": message_sid, "account_sid": sid, "to": form["To"],
                "from": form["From"], "body": form["Body"], "status": "queued",
                "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
            })

        def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's name)
            pass  # the SMS file is the record; keep CI's output short

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    args.out.touch()
    tmp = args.port_file.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(args.port_file)  # appears whole: the caller polls for it
    server.serve_forever()


if __name__ == "__main__":
    main()
