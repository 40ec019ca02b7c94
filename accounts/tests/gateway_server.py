"""A real HTTP gateway for SMS, WhatsApp and push, for the delivery tests: run as its own process.

    python accounts/tests/gateway_server.py TOKEN

Listens on a free port of 127.0.0.1 and prints it on the first line of its output. It behaves like a
gateway that honours idempotency keys: the first request with a given ``Idempotency-Key`` sends the
message (its "effect") and answers ``201 {"id": ...}``; a later one with the same key sends nothing and
answers the same id. A request without the right bearer token gets ``401``.

Tests steer it over HTTP:
- ``POST /_script`` with a JSON list of what the next requests get, one entry each, in order:
  ``{"status": 500}`` (or any status, with ``"error"`` as its message, and ``"location"`` as its
  ``Location`` header), ``{"garbage": true}`` (200 and a body that is not JSON), ``{"delay": 5}`` (the
  message is sent at once, the answer comes after the delay), ``{"trickle": 3}`` (the message is sent at
  once, the answer comes a line at a time over that many seconds); requests beyond the list are answered
  normally;
- ``GET /_log``: ``{"requests": [...], "effects": {key: id}}``; any other GET is logged as a request
  (``"method": "GET"``) and answered 404, sending nothing;
- ``POST /_reset``: forget everything.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "test-token"
lock = threading.Lock()
state: dict = {"script": [], "requests": [], "effects": {}}


class Gateway(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # quiet: the tests read /_log
        pass

    def _answer(self, status: int, body: object, raw: bytes | None = None, location: str = "") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def _trickle(self, seconds: float, body: object) -> None:
        """Answers a header line at a time, each well within a socket timeout, the whole taking ``seconds``."""
        data = json.dumps(body).encode()
        lines = [f"HTTP/1.1 201 Created\r\nContent-Length: {len(data)}\r\n".encode()]
        lines += [f"X-Still-Working: {n}\r\n".encode() for n in range(int(seconds / 0.25))]
        for line in lines:
            self.wfile.write(line)
            self.wfile.flush()
            time.sleep(0.25)
        self.wfile.write(b"\r\n" + data)
        self.close_connection = True

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        if self.path == "/_log":
            with lock:
                self._answer(200, {"requests": state["requests"], "effects": state["effects"]})
            return
        with lock:
            state["requests"].append(
                {"method": "GET", "path": self.path, "key": self.headers.get("Idempotency-Key", ""), "at": time.time()}
            )
        self._answer(404, {"error": "no such page"})

    def do_POST(self):
        body = self._body()
        if self.path == "/_script":
            with lock:
                state["script"].extend(json.loads(body))
            return self._answer(200, {"ok": True})
        if self.path == "/_reset":
            with lock:
                state.update(script=[], requests=[], effects={})
            return self._answer(200, {"ok": True})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"error": "Unknown token"})
        key = self.headers.get("Idempotency-Key", "")
        with lock:
            state["requests"].append(
                {"method": "POST", "path": self.path, "key": key, "body": json.loads(body), "at": time.time()}
            )
            action = state["script"].pop(0) if state["script"] else {}
        if "status" in action:
            answer = {"error": action.get("error", "Scripted failure")}
            return self._answer(action["status"], answer, location=action.get("location", ""))
        if action.get("garbage"):
            return self._answer(200, None, raw=b"<html><body>Service Unavailable</body></html>")
        with lock:
            replay = key in state["effects"]
            if not replay:
                state["effects"][key] = f"gw-{len(state['effects']) + 1}"
            reference = state["effects"][key]
        time.sleep(action.get("delay", 0))
        if action.get("trickle"):
            return self._trickle(action["trickle"], {"id": reference})
        self._answer(200 if replay else 201, {"id": reference})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
