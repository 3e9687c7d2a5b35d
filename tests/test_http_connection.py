"""The Web API connection reads every HTTP/1.1 answer shape a server or proxy may send, and fails cleanly."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator

import pytest

from bot.http_connection import Connection, Unanswered

HANG = b""  # read the request and never answer


class RawServer:
    """Answers each request with the next scripted bytes; `None` closes the connection instead, HANG waits."""

    def __init__(self, *answers: bytes | None) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.answers:
            conn, _ = self.listener.accept()
            self.connections += 1
            with conn:
                while self.answers:
                    request = self._read_request(conn)
                    if request is None:
                        break
                    self.requests.append(request)
                    answer = self.answers.pop(0)
                    if answer is None:
                        break
                    if answer == HANG:
                        threading.Event().wait(2)
                        break
                    conn.sendall(answer)
                    if b"Connection: close" in answer or (b"Content-Length" not in answer and b"chunked" not in answer):
                        break

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body


@pytest.fixture
def serve() -> Iterator:
    servers: list[RawServer] = []

    def start(*answers: bytes | None, timeout: float = 5) -> tuple[RawServer, Connection]:
        servers.append(RawServer(*answers))
        return servers[-1], Connection("127.0.0.1", servers[-1].port, timeout=timeout)

    yield start
    for server in servers:
        server.listener.close()


OK = b'{"ok":true}'


def sized(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra + \
        b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_the_request_is_a_well_formed_post_and_the_connection_is_reused(serve) -> None:
    server, conn = serve(sized(OK), sized(b'{"ok":false}'))
    assert conn.post("/api/auth.test", {"Authorization": "Bearer xoxb-1"}, b"{}") == (
        200, {"Content-Type": "application/json", "Content-Length": "11"}, OK)
    assert conn.post("/api/chat.postMessage", {}, b'{"text":"\xc3\xa9"}')[2] == b'{"ok":false}'
    assert server.connections == 1
    first, second = server.requests
    assert first.startswith(b"POST /api/auth.test HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server.port)
    assert b"Authorization: Bearer xoxb-1\r\nContent-Length: 2\r\n\r\n{}" in first
    assert second.endswith(b'Content-Length: 13\r\n\r\n{"text":"\xc3\xa9"}')


def test_a_chunked_answer_is_joined(serve) -> None:
    _, conn = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"ok\r\n7\r\n\":true}\r\n0\r\n\r\n")
    assert conn.post("/api/x", {}, b"")[2] == OK


def test_an_answer_without_length_ends_when_the_server_closes(serve) -> None:
    server, conn = serve(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad gateway</html>",
                         sized(OK))
    assert conn.post("/api/x", {}, b"") == (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>")
    assert conn.post("/api/x", {}, b"")[2] == OK
    assert server.connections == 2


def test_connection_close_is_honoured(serve) -> None:
    server, conn = serve(sized(OK, b"Connection: close\r\n"), sized(OK))
    conn.post("/api/x", {}, b"")
    conn.post("/api/x", {}, b"")
    assert server.connections == 2


def test_a_server_that_hangs_up_without_answering_is_a_connection_error(serve) -> None:
    server, conn = serve(None, sized(OK))
    with pytest.raises(http.client.RemoteDisconnected):
        conn.post("/api/x", {}, b"")
    assert conn.post("/api/x", {}, b"")[2] == OK  # the next call starts on a new connection
    assert server.connections == 2


def test_a_garbage_answer_is_an_http_error_and_the_connection_is_dropped(serve) -> None:
    server, conn = serve(b"SMTP ready\r\n\r\n", sized(OK))
    with pytest.raises(http.client.HTTPException, match="unreadable HTTP answer"):
        conn.post("/api/x", {}, b"")
    assert conn.post("/api/x", {}, b"")[2] == OK
    assert server.connections == 2



def test_a_kept_alive_connection_closed_under_a_request_is_unanswered_and_safe_to_send_again(serve) -> None:
    server, conn = serve(sized(OK), None, sized(OK))
    conn.post("/api/x", {}, b"")
    with pytest.raises(Unanswered):  # the server closed the connection as it was reused
        conn.post("/api/x", {}, b"")
    assert conn.post("/api/x", {}, b"")[2] == OK
    assert server.connections == 2


def test_no_server_is_unanswered() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(Unanswered, match=rf"cannot connect to 127\.0\.0\.1:{port} "):
        Connection("127.0.0.1", port, timeout=1).post("/api/x", {}, b"")


def test_a_request_that_times_out_may_have_been_acted_on(serve) -> None:
    _, conn = serve(HANG, timeout=0.3)
    with pytest.raises(TimeoutError) as info:
        conn.post("/api/x", {}, b"")
    assert not isinstance(info.value, Unanswered)
