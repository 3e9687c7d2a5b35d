"""Runs `fitbot serve` as a real process on a free loopback port, the way operators run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.support import slack_requests

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-e2e-token"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class FitbotProcess:
    def __init__(self, *, database_url: str, api_url: str, workdir: Path, extra_env: dict | None = None) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "LOG_LEVEL": "INFO",
            # Plans in these tests send a dozen nudges to one channel at once; the fake has no rate limit
            # to respect, and pacing is covered by tests/test_dispatcher.py and tests/unit/test_pacing.py.
            "SLACK_CHANNEL_RATE": "0",
            **(extra_env or {}),
        }
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log: list[str] = []

    def start(self, timeout: float = 30) -> FitbotProcess:
        self.log = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=self.workdir, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        found = threading.Event()

        def pump() -> None:
            assert self.proc and self.proc.stderr
            for line in self.proc.stderr:
                self.log.append(line.rstrip())
                match = LISTENING.search(line)
                if match:
                    self.url = match.group(1)
                    found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(timeout):
            self.kill()
            raise RuntimeError("fitbot serve did not start:\n" + "\n".join(self.log))
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("fitbot never became healthy:\n" + "\n".join(self.log))

    def post(self, body: str, **kwargs) -> slack_requests.Response:
        return slack_requests.post(f"{self.url}/slack/events", body, secret=SIGNING_SECRET, **kwargs)

    def stop(self, timeout: float = 20) -> int:
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
