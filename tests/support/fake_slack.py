"""A fake Slack Web API served over real HTTP, for end-to-end tests.

Point slack_sdk at it with ``WebClient(token="xoxb-test", base_url=fake.url)``. Every request is recorded
as a `Call`; answers follow the shapes in Slack's method docs. Tests can script failures (rate limits,
outages, slow replies) and keep a small world of channels so delivery errors are realistic::

    with FakeSlack() as fake:
        fake.add_channel("C0PRIV", private=True, member=False)
        ...  # drive the bot
        [call] = fake.wait_for("chat.postMessage")
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import socket
import string
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEAM_ID = "T0001"
TEAM_DOMAIN = "fitbot-test"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "U0FITBOT"

# slack_sdk sends these as JSON strings when it posts a form body; record them decoded.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Server Error | Slack</title></head>"
    "<body><h1>Server Error</h1><p>It seems like there's a problem connecting to our servers.</p>"
    "</body></html>"
)
_ID_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Call:
    """One request the fake received, with what it answered."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]  # lower-cased names
    token: str | None
    time: float  # time.monotonic() on arrival
    status: int = 200
    response: dict[str, Any] | str | None = None
    connection: int = 0  # which TCP connection it came on (the client's port)

    @property
    def ok(self) -> bool:
        return self.status == 200 and isinstance(self.response, dict) and self.response.get("ok") is True

    def summary(self) -> str:
        if isinstance(self.response, dict):
            outcome = "ok" if self.response.get("ok") else self.response.get("error")
        else:
            outcome = "non-JSON body"
        hints = {k: str(self.params[k])[:40] for k in ("channel", "text", "user_id", "view_id") if k in self.params}
        return f"{self.method} -> {self.status} {outcome} {hints or ''}".rstrip()


@dataclass
class Reply:
    """A scripted answer. body=None means the default for that status (see `FakeSlack.script`)."""

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Channel:
    id: str
    name: str
    private: bool = False
    member: bool = True
    archived: bool = False

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.private,
            "is_group": False,
            "is_im": False,
            "is_private": self.private,
            "is_archived": self.archived,
            "is_member": self.member,
        }


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _random_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def _dm_id(users: str) -> str:
    """A stable conversation id for a DM (one user) or a group DM (several)."""
    ids = sorted(u.strip() for u in users.split(",") if u.strip())
    if len(ids) == 1:
        return "D" + ids[0][1:]
    return "G" + hashlib.sha1(",".join(ids).encode()).hexdigest()[:10].upper()


def _flatten(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_params(query: str, raw: str, content_type: str) -> dict[str, Any]:
    params = _flatten(parse_qs(query, keep_blank_values=True))
    if raw:
        if "json" in content_type or raw.lstrip().startswith("{"):
            body = json.loads(raw)
            params.update(body if isinstance(body, dict) else {})
        else:
            params.update(_flatten(parse_qs(raw, keep_blank_values=True)))
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


def _finish(reply: Reply) -> Reply:
    """Fill in what Slack would send with a bare status: a ratelimited body + Retry-After, or an HTML page."""
    body, headers = reply.body, dict(reply.headers)
    if reply.status == 429:
        body = body if body is not None else _error("ratelimited")
        headers.setdefault("Retry-After", "1")
    elif body is None:
        body = ERROR_PAGE
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json; charset=utf-8" if isinstance(body, dict) else "text/html"
    return Reply(reply.status, body, headers, reply.delay)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as Slack answers; each answer leaves in one write (no Nagle stall)."""

    server: _Server
    protocol_version = "HTTP/1.1"
    wbufsize = -1

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        self.server.fake._closed(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/hooks/"):  # a response_url from response_url_for()
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            self.server.fake._record_response_url(url.path, body)
            self._send(Reply(200, "ok", {"Content-Type": "text/plain"}))
            return
        if not url.path.startswith("/api/"):
            self._send(Reply(404, "Not Found", {"Content-Type": "text/plain"}))
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            params = _parse_params(url.query, raw, headers.get("content-type", ""))
        except ValueError:
            params = {"_raw": raw}
        reply = self.server.fake._answer(url.path[len("/api/") :], params, headers, self.client_address[1])
        if reply.delay:
            time.sleep(reply.delay)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        data = body.encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeSlack:
    """Fake Slack Web API on 127.0.0.1:<random port>; use `url` as the WebClient base_url."""

    def __init__(self, *, strict_channels: bool = False, team_id: str = TEAM_ID, port: int = 0) -> None:
        self.port = port  # 0: any free one
        self.strict_channels = strict_channels
        self.team_id = team_id
        self.revoked_tokens: set[str] = set()
        self.admins: set[str] = set()  # user ids users.info reports as workspace admins
        self.home_teams: dict[str, str] = {}  # user id -> their own team, for people from another org (Slack Connect)
        self.channels: dict[str, Channel] = {}
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._scripts: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self._down: int | None = None
        self._last_ts = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def start(self) -> FakeSlack:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self.drop_connections()  # kept-alive connections must not outlive the fake
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -------------------------------------------------------------------------------------

    def script(self, method: str, *responses: Reply | dict[str, Any]) -> None:
        """Queue answers for `method`, one per request, before the default behaviour resumes.

        A dict is shorthand for Reply(body=dict). A Reply with status 200 and body=None gives the default
        answer (after `delay`: a slow Slack); status 429 with body=None gives Slack's ratelimited body;
        any other status with body=None gives an HTML error page. 429 always carries Retry-After.
        """
        with self._lock:
            for r in responses:
                self._scripts[method].append(r if isinstance(r, Reply) else Reply(body=r))

    def down(self, status: int = 503) -> None:
        """Answer every method with `status` and a non-JSON body until `up()`."""
        with self._lock:
            self._down = status

    def up(self) -> None:
        with self._lock:
            self._down = None

    def add_channel(
        self,
        channel_id: str,
        *,
        private: bool = False,
        member: bool = True,
        archived: bool = False,
        name: str | None = None,
    ) -> Channel:
        with self._lock:
            channel = Channel(channel_id, name or channel_id.lower(), private, member, archived)
            self.channels[channel_id] = channel
            return channel

    def reset(self) -> None:
        """Forget recorded calls, pending scripts and any outage (channels and revoked tokens stay)."""
        with self._lock:
            self._calls.clear()
            self._scripts.clear()
            self._down = None

    # -- assertions ------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Params of chat.postMessage calls that succeeded (optionally to `channel`, as sent or resolved)."""
        return [
            c.params
            for c in self.calls("chat.postMessage")
            if c.ok and (channel is None or channel in (c.params.get("channel"), c.response["channel"]))
        ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until at least `count` matching calls arrived; return all matching calls so far."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                arrived = "\n  ".join(c.summary() for c in self.calls()) or "(none)"
                raise AssertionError(
                    f"expected {count} matching {method} call(s) within {timeout}s, got {len(found)}. "
                    f"Calls that did arrive:\n  {arrived}"
                )
            time.sleep(0.01)

    def assert_no_call(self, method: str, during: float = 0.5) -> None:
        """Fail if any `method` call is recorded by the end of `during` seconds."""
        deadline = time.monotonic() + during
        while True:
            if found := self.calls(method):
                raise AssertionError(f"unexpected {method} call(s): " + "; ".join(c.summary() for c in found))
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)

    # -- request handling ------------------------------------------------------------------------------

    def response_url_for(self, name: str = "commands") -> str:
        """A response_url that lands here; what is posted to it is recorded as method "response_url"."""
        return self.url.replace("/api/", f"/hooks/{name}/{TEAM_ID}/{_random_id('R')}")

    def _record_response_url(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(Call("response_url", {**body, "_path": path}, {}, None, time.monotonic(), 200, None))

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str], port: int) -> Reply:
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else params.get("token")
        with self._lock:
            reply = self._decide(method, params, token)
            self._calls.append(Call(method, params, headers, token, time.monotonic(), reply.status, reply.body,
                                    port))
        return reply

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.discard(sock)

    def drop_connections(self) -> None:
        """Close every open client connection, as Slack's load balancers do with idle keep-alive ones."""
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _decide(self, method: str, params: dict[str, Any], token: str | None) -> Reply:
        if self._down is not None:
            return _finish(Reply(self._down, ERROR_PAGE))
        queue = self._scripts.get(method)
        scripted = queue.popleft() if queue else None
        if scripted is not None and (scripted.status != 200 or scripted.body is not None):
            return _finish(scripted)
        body = self._default(method, params, token)
        return _finish(Reply(200, body, scripted.headers if scripted else {}, scripted.delay if scripted else 0))

    def _default(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        api = getattr(self, "_api_" + method.replace(".", "_"), None)
        if api is None:
            return _error("unknown_method")
        if not token:
            return _error("not_authed")
        if token in self.revoked_tokens:
            return _error("token_revoked")
        return api(params)

    def _next_ts(self) -> str:
        self._last_ts = max(int(time.time() * 1_000_000), self._last_ts + 100)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _channel(self, channel_id: str) -> Channel | None:
        if channel_id in self.channels:
            return self.channels[channel_id]
        if channel_id.startswith("C") and not self.strict_channels:
            return self.add_channel(channel_id)
        return None

    def _delivery_error(self, channel_id: str | None) -> str | None:
        if not channel_id:
            return "channel_not_found"
        if channel_id[0] in "UWD":
            return None
        channel = self._channel(channel_id)
        if channel is None or (channel.private and not channel.member):
            return "channel_not_found"
        if channel.archived:
            return "is_archived"
        return None if channel.member else "not_in_channel"

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "ts": ts,
            "blocks": params.get("blocks", []),
        }
        message.update({k: params[k] for k in ("attachments", "thread_ts", "metadata") if k in params})
        return message

    # -- Web API methods (Slack's documented success and error shapes) ---------------------------------

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Fitbot Test",
            "user": "fitbot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if error := self._delivery_error(params.get("channel")):
            return _error(error)
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return _error("no_text")
        channel = params["channel"]
        channel = _dm_id(channel) if channel[0] in "UW" else channel
        ts = self._next_ts()
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message(params, ts)}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if error := self._delivery_error(params.get("channel")):
            return _error(error)
        if not params.get("ts"):
            return _error("message_not_found")
        ts = params["ts"]
        text = params.get("text", "")
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": ts,
            "text": text,
            "message": self._message(params, ts),
        }

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user", "")
        if not user_id.startswith(("U", "W")):
            return _error("user_not_found")
        admin = user_id in self.admins
        team_id = self.home_teams.get(user_id, self.team_id)
        return {"ok": True, "user": {"id": user_id, "team_id": team_id, "name": f"user.{user_id.lower()}",
                                     "deleted": False, "is_admin": admin, "is_owner": False,
                                     "is_primary_owner": False, "is_bot": False, "tz": "America/Chicago"}}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return _error("channel_not_found")
        if not params.get("user"):
            return _error("user_not_found")
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel", "")
        if channel_id.startswith("D"):
            return _error("method_not_supported_for_channel_type")
        channel = self._channel(channel_id)
        if channel is None:
            return _error("channel_not_found")
        if channel.archived:
            return _error("is_archived")
        if channel.private:
            return _error("method_not_supported_for_channel_type")
        already, channel.member = channel.member, True
        body: dict[str, Any] = {"ok": True, "channel": channel.info()}
        if already:
            body.update(warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]})
        return body

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        if not params.get("users"):
            return _error("users_list_not_supplied")
        return {"ok": True, "channel": {"id": _dm_id(params["users"])}}

    def _view(self, params: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        view_id = view_id or _random_id("V")
        echoed = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        echoed.update({k: v for k, v in view.items() if k != "id"})
        echoed["hash"] = f"{int(time.time())}.{secrets.token_hex(4)}"
        return {"ok": True, "view": echoed}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._view(params)

    def _api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._view(params)

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("view_id") or params.get("external_id")):
            return _error("invalid_arguments")
        return self._view(params, params.get("view_id"))

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            return _error("invalid_arguments")
        return self._view(params)
