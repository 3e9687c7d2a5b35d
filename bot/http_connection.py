"""One kept-alive HTTP/1.1 connection to the Web API: a POST out, its answer read by llhttp (httptools).

http.client runs every answer's headers through the email package, which costs about twice the rest
of a Web API call; the dispatcher makes thousands of calls a second and `/fit` makes one per command
while others wait for their acks. Here the request is one write and the answer is parsed in C.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl

import httptools

READ_SIZE = 65536


class Unanswered(ConnectionError):
    """The request never reached a server that could act on it: no connection could be made, or a kept-alive
    one turned out to be closed before any answer. Unlike a timeout, sending it again can't do it twice."""


class _Answer:
    """httptools' callbacks for one response."""

    __slots__ = ("chunks", "done", "headers", "headers_done", "keep_alive", "parser", "started")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.headers_done = self.done = self.keep_alive = self.started = False
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1")] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.done = True
        self.keep_alive = self.parser.should_keep_alive()  # only known here: llhttp resets once the message ends

    def ends_at_close(self) -> bool:
        """An answer with neither a length nor chunks ends when the server closes the connection."""
        names = {name.lower() for name in self.headers}
        return self.headers_done and "content-length" not in names and "transfer-encoding" not in names


class Connection:
    """Not thread-safe: each thread keeps its own (see KeepAliveWebClient)."""

    def __init__(self, host: str, port: int, *, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.timeout, self.tls = host, port, timeout, tls
        self._sock: socket.socket | None = None
        name = f"[{host}]" if ":" in host else host
        self._host_header = name if port == (443 if tls else 80) else f"{name}:{port}"

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send one POST and read its answer: (status, headers, body). Network failures raise OSError
        (Unanswered when the request surely did nothing) or http.client.HTTPException, and the connection
        is closed, so the next call starts afresh."""
        sock, reused = self._open()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self._host_header}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                   .encode("latin-1") + body)
        answer = _Answer()
        try:
            sock.sendall(request)
            while not answer.done:
                data = sock.recv(READ_SIZE)
                if not data:
                    if answer.ends_at_close():
                        break
                    raise http.client.RemoteDisconnected("the server closed the connection before answering")
                answer.parser.feed_data(data)
                answer.started = True
            status = answer.parser.get_status_code()
            answer.parser = None  # the parser holds the answer: no cycle left for the garbage collector
        except httptools.HttpParserError as exc:
            self.close()
            raise http.client.HTTPException(f"unreadable HTTP answer: {exc}") from exc
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
            self.close()
            if reused and not answer.started:  # the server had closed it as we reused it
                raise Unanswered(f"the kept-alive connection was closed before any answer ({exc})") from exc
            raise
        except BaseException:
            self.close()
            raise
        if not answer.keep_alive:
            self.close()
        return status, answer.headers, b"".join(answer.chunks)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _open(self) -> tuple[socket.socket, bool]:
        """(the kept-alive socket, True), or (a new one, False); Unanswered when none can be made."""
        if self._sock is not None and select.select([self._sock], [], [], 0)[0]:
            self.close()  # readable while idle: the server closed it (an idle timeout); start a new one
        if self._sock is not None:
            return self._sock, True
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise Unanswered(f"cannot connect to {self.host}:{self.port} ({exc})") from exc
        # The request is one write; without this, Nagle's algorithm can still hold a large one back.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        self._sock = sock
        return self._sock, False
