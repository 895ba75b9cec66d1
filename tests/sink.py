"""A local HTTP receiver standing in for an SMS gateway or a group robot: nothing leaves the machine.

It records every request and, like a gateway that honours `Idempotency-Key`, acts on each key
once. `answer` decides the response (status, JSON body) per request; `delay` slows it down.
"""

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    query: dict
    headers: dict
    body: dict | None
    raw: bytes


@dataclass
class Sink:
    answer: object = None  # callable(Received) -> (status, dict) ; default 200 {"errcode": 0, "code": 0}
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Sink":
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    return  # the sender died mid-request: nothing reached the gateway to act on
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                parts = urllib.parse.urlsplit(self.path)
                got = Received(path=parts.path, query=dict(urllib.parse.parse_qsl(parts.query)),
                               headers={k.lower(): v for k, v in self.headers.items()}, body=body, raw=raw)
                if sink.delay:
                    threading.Event().wait(sink.delay)
                status, answer = sink.answer(got) if sink.answer else (200, {"errcode": 0, "code": 0})
                with sink.lock:
                    sink.requests.append(got)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)
