"""A Web API that answers at once with Slack's minimal success bodies and counts calls, for benchmarks.

Lighter than the tests' recording fake on purpose: it runs beside fitbot on the same cores, and real
Slack's CPU is not fitbot's. One asyncio loop, requests parsed by httptools, kept-alive connections.
`serve()` prints its base URL, then answers each line on stdin (a Web API method, or "*" for all)
with that call count, until stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter

import httptools

ANSWERS = {
    "auth.test": b'{"ok":true,"team_id":"T0001","user_id":"U0FITBOT","bot_id":"B0001"}',
    "views.open": b'{"ok":true,"view":{"id":"V0BENCH"}}',
    "chat.postMessage": b'{"ok":true,"channel":"C1","ts":"1.000001"}',
}
COUNTS: Counter[str] = Counter()


class _Api(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""

    def on_url(self, url: bytes) -> None:
        self.url += url  # may come in pieces

    def on_message_complete(self) -> None:
        method = self.url.rsplit(b"/", 1)[-1].decode()
        COUNTS[method] += 1
        body = ANSWERS.get(method, b'{"ok":true}')
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))


def serve() -> None:
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Api, "127.0.0.1", 0, backlog=128))
    threading.Thread(target=loop.run_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/", flush=True)
    for line in sys.stdin:  # EOF (the parent is done, or died) stops us
        method = line.strip()
        counts = dict(COUNTS)  # a copy: the loop thread keeps counting
        print(sum(counts.values()) if method == "*" else counts.get(method, 0), flush=True)
