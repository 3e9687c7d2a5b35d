"""A Web API that answers at once with Slack's minimal success bodies and counts calls, for benchmarks.

Lighter than the tests' recording fake on purpose: it runs beside fitbot on the same cores, and real
Slack's CPU is not fitbot's. `serve()` prints its base URL, then answers each line on stdin (a Web API
method, or "*" for all) with that call count, until stdin closes.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWERS = {
    "auth.test": b'{"ok":true,"team_id":"T0001","user_id":"U0FITBOT","bot_id":"B0001"}',
    "views.open": b'{"ok":true,"view":{"id":"V0BENCH"}}',
    "chat.postMessage": b'{"ok":true,"channel":"C1","ts":"1.000001"}',
}


def serve() -> None:
    counts: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # headers and body in one write: no Nagle/delayed-ACK stall on kept-alive connections

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            method = self.path.rsplit("/", 1)[-1]
            counts[method] += 1
            body = ANSWERS.get(method, b'{"ok":true}')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 128  # listen backlog for bursts of concurrent callers
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}/api/", flush=True)
    for line in sys.stdin:  # EOF (the parent is done, or died) stops us
        method = line.strip()
        print(sum(counts.values()) if method == "*" else counts[method], flush=True)
