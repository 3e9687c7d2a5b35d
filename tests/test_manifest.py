"""manifest.yml: valid against Slack's manifest JSON schema, and true to what fitbot handles.

The schema is a copy of Slack's own, kept in tests/slack_schema/ with its MIT licence and source.

The schema alone does not catch everything that would break fitbot: request URLs are optional
there, and `background_color` uses a non-standard `regex` keyword that validators ignore. The
fitbot contract checks below cover those, and both kinds of check are shown to fail on broken
copies of the manifest, so a green run means something.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "manifest.yml"
SCHEMA_PATH = Path(__file__).with_name("slack_schema") / "manifest.schema.1.0.0.json"

EVENTS_PATH = "/slack/events"
SLASH_COMMANDS = ["/fit"]
# Events fitbot registers handlers for: App Home tab, @mentions, and losing the workspace.
BOT_EVENTS = {"app_home_opened", "app_mention", "app_uninstalled", "tokens_revoked"}
# See the comment in manifest.yml for why each is needed and why nothing else is.
BOT_SCOPES = {"commands", "chat:write", "channels:join", "app_mentions:read", "users:read"}

Manifest = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Loading


def load_manifest() -> Manifest:
    with MANIFEST_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), f"{MANIFEST_PATH} must be a YAML mapping, got {type(data).__name__}"
    return data


def load_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    declared = schema.get("$schema")
    assert declared, f"{SCHEMA_PATH.name} declares no $schema draft"
    # Use the validator class for the draft the schema itself declares (draft-07 today).
    cls = jsonschema.validators.validator_for(schema)
    assert cls.META_SCHEMA.get("$schema", "").rstrip("#") == declared.rstrip("#"), (
        f"jsonschema has no validator for the declared draft {declared!r}"
    )
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(validator: jsonschema.protocols.Validator, data: Manifest) -> list[str]:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


# ---------------------------------------------------------------------------------------------
# fitbot contract checks: each returns a list of problems (empty when the manifest is fine).


def request_urls(data: Manifest) -> dict[str, str | None]:
    features = data.get("features") or {}
    settings = data.get("settings") or {}
    urls: dict[str, str | None] = {
        f"features.slash_commands[{cmd.get('command')}].url": cmd.get("url")
        for cmd in features.get("slash_commands") or []
    }
    urls["settings.interactivity.request_url"] = (settings.get("interactivity") or {}).get("request_url")
    urls["settings.event_subscriptions.request_url"] = (settings.get("event_subscriptions") or {}).get(
        "request_url"
    )
    return urls


def check_request_urls(data: Manifest) -> list[str]:
    problems = []
    urls = request_urls(data)
    for where, url in urls.items():
        if not url:
            problems.append(f"{where} is missing")
        elif not url.startswith("https://") or not url.endswith(EVENTS_PATH):
            problems.append(f"{where} = {url!r} must be an https URL ending with {EVENTS_PATH}")
    if len({url for url in urls.values() if url}) > 1:
        problems.append(f"request URLs differ, fitbot serves them all on one route: {urls}")
    return problems


def check_slash_commands(data: Manifest) -> list[str]:
    commands = [cmd.get("command") for cmd in (data.get("features") or {}).get("slash_commands") or []]
    return [] if commands == SLASH_COMMANDS else [f"slash commands are {commands}, expected {SLASH_COMMANDS}"]


def check_bot_events(data: Manifest) -> list[str]:
    events = ((data.get("settings") or {}).get("event_subscriptions") or {}).get("bot_events") or []
    return (
        []
        if set(events) == BOT_EVENTS
        else [f"bot_events are {sorted(events)}, expected {sorted(BOT_EVENTS)}"]
    )


def check_bot_scopes(data: Manifest) -> list[str]:
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    problems = []
    if len(scopes) != len(set(scopes)):
        problems.append(f"duplicate bot scopes: {scopes}")
    if set(scopes) != BOT_SCOPES:
        added, missing = sorted(set(scopes) - BOT_SCOPES), sorted(BOT_SCOPES - set(scopes))
        problems.append(
            f"bot scopes changed (added {added}, missing {missing}); if deliberate, update BOT_SCOPES, "
            "the comment in manifest.yml and docs/slack-app.md"
        )
    return problems


def check_app_home(data: Manifest) -> list[str]:
    # views.publish fails with not_enabled without the Home tab; the DM fallback (chat.postMessage
    # to a user ID) fails with messages_tab_disabled without the Messages tab. fitbot does not read
    # DMs, so the Messages tab must be read-only.
    home = (data.get("features") or {}).get("app_home") or {}
    expected = {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }
    return [f"features.app_home.{k} must be {v}" for k, v in expected.items() if home.get(k) is not v]


def check_interactivity(data: Manifest) -> list[str]:
    enabled = ((data.get("settings") or {}).get("interactivity") or {}).get("is_enabled")
    return [] if enabled is True else ["settings.interactivity.is_enabled must be true (modal, buttons)"]


def check_display(data: Manifest) -> list[str]:
    # Rules Slack documents that the JSON schema does not enforce.
    problems = []
    color = (data.get("display_information") or {}).get("background_color")
    if color is not None and not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", str(color)):
        problems.append(f"display_information.background_color {color!r} is not #rgb or #rrggbb")
    bot_name = ((data.get("features") or {}).get("bot_user") or {}).get("display_name")
    if bot_name is not None and not re.fullmatch(r"[a-z0-9._-]+", str(bot_name)):
        problems.append(f"features.bot_user.display_name {bot_name!r} may only use a-z 0-9 - _ .")
    return problems


CONTRACT_CHECKS: list[Callable[[Manifest], list[str]]] = [
    check_request_urls,
    check_slash_commands,
    check_bot_events,
    check_bot_scopes,
    check_app_home,
    check_interactivity,
    check_display,
]


# ---------------------------------------------------------------------------------------------
# The real manifest


def test_manifest_matches_slack_schema(manifest: Manifest, validator: jsonschema.protocols.Validator) -> None:
    errors = schema_errors(validator, manifest)
    assert not errors, "manifest.yml does not match Slack's manifest schema:\n  " + "\n  ".join(errors)


def test_manifest_metadata_is_v1(manifest: Manifest) -> None:
    assert manifest.get("_metadata") == {"major_version": 1, "minor_version": 1}


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
def test_fitbot_contract(manifest: Manifest, check: Callable[[Manifest], list[str]]) -> None:
    problems = check(manifest)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# Broken copies must fail: proves the checks above can actually go red.


def _set(path: str, value: Any) -> Callable[[Manifest], None]:
    def mutate(data: Manifest) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[Manifest], None]:
    def mutate(data: Manifest) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return mutate


SCHEMA_BREAKAGES = {
    "name over 35 chars": _set("display_information.name", "f" * 36),
    "description over 140 chars": _set("display_information.description", "d" * 141),
    "long_description under 175 chars": _set("display_information.long_description", "too short"),
    "command without leading slash": _set("features.slash_commands.0.command", "fit"),
    "request_url without scheme": _set(
        "settings.event_subscriptions.request_url", "fitbot.example.com/slack/events"
    ),
    "interactivity without is_enabled": _delete("settings.interactivity.is_enabled"),
    "bot_user without display_name": _delete("features.bot_user.display_name"),
    "always_online not a boolean": _set("features.bot_user.always_online", "yes"),
    "unknown settings key": _set("settings.socket_mode", True),
    "missing display_information": _delete("display_information"),
}


@pytest.mark.parametrize("mutate", SCHEMA_BREAKAGES.values(), ids=SCHEMA_BREAKAGES.keys())
def test_schema_rejects_broken_manifest(
    manifest: Manifest, validator: jsonschema.protocols.Validator, mutate: Callable[[Manifest], None]
) -> None:
    broken = copy.deepcopy(manifest)
    mutate(broken)
    assert schema_errors(validator, broken), "the schema accepted a manifest Slack would reject"


CONTRACT_BREAKAGES = {
    "missing event request_url": _delete("settings.event_subscriptions.request_url"),
    "missing interactivity request_url": _delete("settings.interactivity.request_url"),
    "missing slash command url": _delete("features.slash_commands.0.url"),
    "wrong path": _set("settings.interactivity.request_url", "https://fitbot.example.com/slack/actions"),
    "extra scope": _set("oauth_config.scopes.bot", sorted(BOT_SCOPES | {"im:write"})),
    "missing scope": _set("oauth_config.scopes.bot", sorted(BOT_SCOPES - {"channels:join"})),
    "extra event": _set("settings.event_subscriptions.bot_events", sorted(BOT_EVENTS | {"message.im"})),
    "second command": _set(
        "features.slash_commands",
        [{"command": "/fit", "description": "x"}, {"command": "/fitness", "description": "y"}],
    ),
    "messages tab writable": _set("features.app_home.messages_tab_read_only_enabled", False),
    "bad background color": _set("display_information.background_color", "#12345z"),
}


@pytest.mark.parametrize("mutate", CONTRACT_BREAKAGES.values(), ids=CONTRACT_BREAKAGES.keys())
def test_contract_rejects_broken_manifest(manifest: Manifest, mutate: Callable[[Manifest], None]) -> None:
    broken = copy.deepcopy(manifest)
    mutate(broken)
    problems = [problem for check in CONTRACT_CHECKS for problem in check(broken)]
    assert problems, "the fitbot contract checks accepted a broken manifest"
