"""Settings, read once from the environment (a .env file may supply them) and validated together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///fitbot.db"
DEFAULT_HOST = "0.0.0.0"
DATABASE_EXAMPLES = "sqlite:///fitbot.db or postgresql://user:password@host:5432/fitbot"
MAX_CHANNEL_RATE = 100.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")  # as README documents them
# What each purpose reads, and so checks: a setting a command doesn't use never stops it.
READS = {
    "serve": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "HOST",
              "PORT", "LOG_LEVEL", "SLACK_CHANNEL_RATE"),
    "dispatch": ("SLACK_BOT_TOKEN", "SLACK_API_URL", "DATABASE_URL", "LOG_LEVEL", "SLACK_CHANNEL_RATE"),
    "db": ("DATABASE_URL", "LOG_LEVEL"),
}
WHERE_TOKENS = (
    "Create the app from manifest.yml (see README: 'Create the Slack app'); the bot token is under "
    "OAuth & Permissions, the signing secret under Basic Information > App Credentials."
)


class SettingsError(ValueError):
    """One line per problem, each naming the variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str
    database_url: str
    port: int
    log_level: str
    channel_rate: float = 1.0  # messages a second per channel; 0 turns pacing off
    host: str = DEFAULT_HOST

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return (f"Settings(api_url={self.api_url!r}, database_url={_redact_url(self.database_url)!r}, "
                f"port={self.port}, log_level={self.log_level!r}, socket_mode={self.socket_mode})")


def load_settings(
    purpose: str = "serve", environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Merge `.env` (if present) under the real environment, then validate for `purpose`.

    purpose: "serve" needs the Slack credentials, "dispatch" the bot token, "db" only the database.
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return parse_settings(values, purpose)


def parse_settings(env: Mapping[str, str], purpose: str = "serve") -> Settings:
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = (env.get(name) or "").strip()
        return value or None

    app_token = get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: must be an app-level token starting with xapp- "
                        "(Basic Information > App-Level Tokens, scope connections:write).")

    bot_token = get("SLACK_BOT_TOKEN") or ""
    if not bot_token:
        problems.append(f"SLACK_BOT_TOKEN: not set. {WHERE_TOKENS}")
    elif not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: must be a bot token starting with xoxb- (OAuth & Permissions).")

    signing_secret = get("SLACK_SIGNING_SECRET")
    if not signing_secret and not app_token:
        problems.append(f"SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode). "
                        f"{WHERE_TOKENS}")

    api_url = get("SLACK_API_URL") or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"SLACK_API_URL: {api_url!r} is not an http(s) URL, e.g. {DEFAULT_API_URL}")
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = _database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL, problems)
    host = get("HOST") or DEFAULT_HOST

    port_text = get("PORT") or "3000"
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else -1
    if not 0 <= port <= 65535:
        problems.append(f"PORT: {port_text!r} is not a port number (0-65535).")

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL: {log_level!r} is not one of {', '.join(LOG_LEVELS)}.")

    rate_text = get("SLACK_CHANNEL_RATE") or "1"
    try:
        channel_rate = float(rate_text)
    except ValueError:
        channel_rate = -1.0
    if not 0 <= channel_rate <= MAX_CHANNEL_RATE:
        problems.append(f"SLACK_CHANNEL_RATE: {rate_text!r} is not a number of messages a second per channel "
                        f"(0 to {MAX_CHANNEL_RATE:g}; 0 turns pacing off).")

    problems = [p for p in problems if p.split(":", 1)[0] in READS[purpose]]  # each starts "SETTING: "
    if problems:
        raise SettingsError(problems)
    return Settings(bot_token, signing_secret, app_token, api_url, database_url, port, log_level, channel_rate,
                    host)


def _database_url(text: str, problems: list[str]) -> str:
    """The URL as SQLAlchemy reads it, with psycopg for PostgreSQL; one problem line when it can't serve fitbot."""
    try:
        url = make_url(text)
    except ArgumentError:
        problems.append(f"DATABASE_URL: {_redact_url(text)!r} is not a database URL; use {DATABASE_EXAMPLES}.")
        return text
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg"):
        if not url.database:
            problems.append("DATABASE_URL: name the database, e.g. postgresql://user@host:5432/fitbot "
                            "(without a name, PostgreSQL would pick one after the user).")
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:":
            problems.append("DATABASE_URL: an in-memory SQLite database is lost when fitbot stops; give a file, "
                            "e.g. sqlite:///fitbot.db.")
        return url.render_as_string(hide_password=False)
    problems.append(f"DATABASE_URL: {url.drivername!r} isn't supported; use {DATABASE_EXAMPLES}.")
    return text


def _redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
