"""The fitbot command as operators and engagement leads run it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from bot.triage import questionnaire
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]


def fitbot(*args: str, env: dict | None = None, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, timeout=60, env=env)


def test_serve_without_tokens_explains_what_to_set(tmp_path):
    result = fitbot("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "fitbot serve: cannot start:"
    assert lines[1].startswith("  SLACK_BOT_TOKEN: not set.")
    assert "OAuth & Permissions" in lines[1]
    assert lines[2].startswith("  SLACK_SIGNING_SECRET: required in HTTP mode")
    assert "Traceback" not in result.stderr


def test_serve_reads_dot_env_and_names_the_bad_value(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=x\nPORT=eighty\n")
    result = fitbot("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert "  PORT: 'eighty' is not a port number (0-65535)." in result.stderr.splitlines()


@pytest.mark.parametrize("level", ["WARN", "FATAL", "NOTSET"])
def test_log_level_takes_only_the_documented_names(tmp_path, level):
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x", "LOG_LEVEL": level}
    result = fitbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert (f"  LOG_LEVEL: {level!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
            in result.stderr.splitlines())


def test_every_command_has_help(tmp_path):
    for command in (["--help"], ["serve", "--help"], ["dispatch", "--help"], ["db", "upgrade", "--help"],
                    ["triage", "--help"]):
        result = fitbot(*command, cwd=tmp_path)
        assert result.returncode == 0, command
        assert result.stdout.startswith("usage: fitbot")


def test_version_and_the_settings_each_command_reads(tmp_path):
    result = fitbot("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "fitbot 0.1.0")
    serve = fitbot("serve", "--help", cwd=tmp_path).stdout.replace("\n", " ")
    for setting in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL", "PORT"):
        assert setting in serve
    db = fitbot("db", "upgrade", "--help", cwd=tmp_path).stdout.replace("\n", " ")
    assert "DATABASE_URL" in db and "SLACK_BOT_TOKEN" not in db
    assert "reads no settings." in fitbot("triage", "--help", cwd=tmp_path).stdout


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fitbot.db'}"
    # Settings only serve reads don't stop it, however wrong (it reads DATABASE_URL and LOG_LEVEL).
    unread = {"PORT": "abc", "SLACK_APP_TOKEN": "bad", "SLACK_API_URL": "x", "SLACK_BOT_TOKEN": "nope"}
    result = fitbot("db", "upgrade", env={"DATABASE_URL": url, **unread}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    db = Database(url)
    assert {"triages", "outbox", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    db.close()


ANSWERS = {
    "company": "Acme <!channel>", "leadership": "nobody", "need_shape": "outcomes", "onboarding": "partial",
    "work_definition": "exploring", "requirements_change": "unknown", "collaboration": "realtime",
    "timezone": "America/Chicago",
}


def test_triage_from_a_yaml_file_needs_no_slack(tmp_path):
    answers = tmp_path / "acme.yml"
    answers.write_text("".join(f"{k}: '{v}'\n" for k, v in ANSWERS.items()))
    result = fitbot("triage", "--answers", str(answers), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Acme <!channel>: Fractional CTO / consulting first (low confidence)")
    assert ("\nWhy not Nearshore staff augmentation:\n  - Engineering leadership to direct the work: Nobody"
            in result.stdout)
    assert "\nWhy low confidence, not high:\n  - “Too early to say”" in result.stdout
    assert "\nWhat would change the answer:\n  - " in result.stdout
    assert "No one to direct the work" in result.stdout
    assert "Mexico City" in result.stdout


@pytest.mark.parametrize("company", ["Yes", "Off", "010"])
def test_triage_answers_file_keeps_each_answer_as_written(tmp_path, company):
    # Unquoted, YAML 1.1 reads these as true, false and the octal number 8.
    answers = tmp_path / "answers.yml"
    lines = [f"company: {company}"] + [f"{k}: '{v}'" for k, v in ANSWERS.items() if k != "company"]
    answers.write_text("\n".join(lines) + "\n")
    result = fitbot("triage", "--answers", str(answers), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["company"] == company


def test_triage_json_output(tmp_path):
    answers = tmp_path / "acme.json"
    answers.write_text(json.dumps(ANSWERS))
    before = datetime.now(ZoneInfo("America/Chicago")).date().isoformat()
    result = fitbot("triage", "--answers", str(answers), "--json", cwd=tmp_path)
    after = datetime.now(ZoneInfo("America/Chicago")).date().isoformat()
    out = json.loads(result.stdout)
    assert (out["model"], out["confidence"]) == ("consulting_first", "low")
    assert [r["key"] for r in out["risks"]] == ["no_direction"]
    (ruled_out,) = out["ruled_out"]
    assert ruled_out["model"] == "staff_augmentation"
    assert [f["condition"] for f in ruled_out["missing"]] == ["direction", "defined_work", "skills_described"]
    assert len(out["confidence_notes"]) == 2
    assert [w["model"] for w in out["what_if"]] == ["outsourcing", "discovery_first"]
    assert out["next_steps"][0].startswith("Offer a fractional CTO")
    # What makes the output reproducible travels with it: the questionnaire and the client's day.
    assert out["questionnaire_version"] == questionnaire.load().version
    assert out["date"] in (before, after)  # the client's day (Chicago), even across its midnight


@pytest.mark.parametrize(("content", "message"), [
    ("company: Acme\nleadership: ceo\n",
     "bad.yml:2: leadership: Pick one of the listed options: head_of_engineering, senior_engineer, nobody."),
    ("company: Acme\nbudget: 10\n", "bad.yml:2: budget: not a question in this questionnaire (questions: company, "),
    ("- a list\n", "bad.yml: expected a mapping of question id to answer"),
    ("company: Acme\nleadership: [unclosed\n", "bad.yml:3: not valid YAML or JSON"),
    ("company: [1, 2]\n", "bad.yml:1: company: expected a single answer, not a list or mapping"),
    ("company: \"Caf\xe9\"\n".encode("latin-1"), "bad.yml: not UTF-8 text"),
])
def test_triage_rejects_bad_answer_files_naming_the_field(tmp_path, content, message):
    answers = tmp_path / "bad.yml"
    if isinstance(content, bytes):
        answers.write_bytes(content)
    else:
        answers.write_text(content)
    result = fitbot("triage", "--answers", str(answers), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "<unicode string>" not in result.stderr


def test_triage_interactive_repeats_a_question_until_answered(tmp_path):
    # company (blank, then Acme), contact skipped, then numbered choices; skills skipped (not required here).
    typed = "\nAcme\n\n3\n3\n\n2\n3\n3\n1\n2\n\n"
    result = fitbot("triage", cwd=tmp_path, stdin=typed)
    assert result.returncode == 0, result.stderr
    assert "This answer is required." in result.stdout
    assert "\nQuestion 1 of 11: Prospect company\n" in result.stdout
    assert "\nQuestion 11 of 11: Has the client tried another model that did not work out? (optional" in result.stdout
    assert "Acme: Fractional CTO / consulting first" in result.stdout


def test_triage_interactive_json_keeps_the_questions_off_stdout(tmp_path):
    typed = "Acme\n\n3\n3\n\n2\n3\n3\n1\n2\n\n"
    result = fitbot("triage", "--json", cwd=tmp_path, stdin=typed)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"] == "consulting_first"  # `> acme.json` gets the JSON alone
    assert "Question 1 of 11: Prospect company" in result.stderr
    result = fitbot("triage", "--diagnose", "--json", cwd=tmp_path, stdin="Initech\n1\n1 5\nn\n")
    lesson = json.loads(result.stdout)
    assert lesson["use_now"] == "staff_augmentation"
    assert [s["value"] for s in lesson["symptoms"]] == ["requirements_changed", "timezone"]  # "1 5" as "1, 5"
    assert "Which model did the client use?" in result.stderr


def test_triage_interactive_names_the_numbers_it_takes(tmp_path):
    result = fitbot("triage", cwd=tmp_path, stdin="Acme\n\n7\n")
    assert "  Type a number from 1 to 3.\n" in result.stdout


def test_triage_stops_cleanly_on_ctrl_c(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "triage"], cwd=tmp_path, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write("Acme\n")
    process.stdin.flush()
    while "Question 2 of" not in (line := process.stdout.readline()):  # input() flushes what came before it
        assert line, "fitbot triage ended early"
    process.stdout.read(2)  # the "> " prompt: fitbot is about to wait in input()
    # A signal that lands between the prompt and the read only shows once the read returns (CPython checks
    # for signals on EINTR), so send it once fitbot is really blocked reading its stdin.
    wchan, deadline = Path(f"/proc/{process.pid}/wchan"), time.monotonic() + 10
    while wchan.exists() and not any(w in wchan.read_text() for w in ("pipe_read", "pipe_wait")) \
            and time.monotonic() < deadline:  # pipe_wait on older kernels; a hardened one shows 0: wait it out
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)  # stdin still open: only the Ctrl-C can end it
    _, err = process.communicate()
    assert process.returncode == 130
    assert err == "\nfitbot triage: stopped; nothing was saved.\n"


def test_triage_stops_cleanly_when_input_ends(tmp_path):
    result = fitbot("triage", cwd=tmp_path, stdin="Acme\n")
    assert result.returncode == 2
    assert "input ended before every question was answered" in result.stderr


def test_dispatch_sends_what_is_due_once(tmp_path, db, database_url):
    from storage import outbox
    from storage.triages import Workspace
    from tests.support.fake_slack import FakeSlack

    with db.unit_of_work() as s:
        outbox.enqueue(s, Workspace("T0001"), dedupe_key="cron-1", kind="test", channel_id="C0001",
                       payload={"text": "from cron"})
    with FakeSlack() as slack:
        env = {"SLACK_BOT_TOKEN": "xoxb-cron", "SLACK_API_URL": slack.url, "DATABASE_URL": database_url}
        first = fitbot("dispatch", env=env, cwd=tmp_path)
        second = fitbot("dispatch", env=env, cwd=tmp_path)
        assert [m["text"] for m in slack.messages()] == ["from cron"]
    assert first.stdout == "sent 1, retrying 0, failed 0\n"
    assert second.stdout == "sent 0, retrying 0, failed 0\n"


def test_dispatch_with_a_token_slack_rejects_sends_nothing_and_pauses_nothing(tmp_path, db, database_url):
    from sqlalchemy import select

    from storage import outbox
    from storage.models import OutboxMessage
    from storage.triages import Workspace
    from tests.support.fake_slack import FakeSlack

    with db.unit_of_work() as s:
        outbox.enqueue(s, Workspace("T0001"), dedupe_key="cron-1", kind="test", channel_id="C0001",
                       payload={"text": "from cron"})
    with FakeSlack() as slack:
        slack.revoked_tokens.add("xoxb-typo")
        env = {"SLACK_BOT_TOKEN": "xoxb-typo", "SLACK_API_URL": slack.url, "DATABASE_URL": database_url}
        result = fitbot("dispatch", env=env, cwd=tmp_path)
        assert slack.messages() == []
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN: Slack rejected the token (token_revoked)" in result.stderr
    with db.unit_of_work() as s:  # still waiting to be sent with the right token, not stopped as a lost workspace
        assert s.scalars(select(OutboxMessage.status)).all() == ["pending"]


def test_dispatch_with_slack_unreachable_stops_at_once_for_the_next_run(tmp_path, database_url):
    port = _closed_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-cron", "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
           "DATABASE_URL": database_url}
    result = fitbot("dispatch", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"  SLACK_API_URL: Slack can't be reached at http://127.0.0.1:{port}/api/ ([Errno 111] Connection refused). "
        "Check the network, DNS and any proxy (HTTPS_PROXY).")
    assert "Failed to send a request" not in result.stderr  # slack_sdk's own line would say it again


def _closed_port() -> int:
    """A loopback port nothing listens on (yet)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env})


def _line_with(text: str, proc: subprocess.Popen) -> str:
    """The first line of fitbot's stderr that contains `text`; a fitbot that ends first fails the test."""
    read = []
    while text not in (line := proc.stderr.readline()):
        assert line, f"fitbot ended before saying {text!r}:\n{''.join(read)}"
        read.append(line)
    return line


def test_serve_with_a_rejected_token_says_so_without_a_traceback(tmp_path):
    from tests.support.fake_slack import FakeSlack

    with FakeSlack() as slack:
        slack.revoked_tokens.add("xoxb-revoked")
        env = {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}"}
        result = fitbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "  SLACK_BOT_TOKEN: Slack rejected the token (token_revoked). Copy the Bot User OAuth Token" in result.stderr
    assert "Traceback" not in result.stderr and "received SIGTERM" not in result.stderr  # nobody sent one


def test_socket_mode_connects_with_the_app_token_and_stops_on_sigterm(tmp_path):
    import signal

    from tests.support.fake_slack import FakeSlack

    with FakeSlack() as slack:
        # Slack hands out a WebSocket URL; nothing listens there, so the client keeps reconnecting.
        slack.script("apps.connections.open", {"ok": True, "url": "ws://127.0.0.1:9/link"})
        env = {"SLACK_BOT_TOKEN": "xoxb-sm", "SLACK_APP_TOKEN": "xapp-1-sm", "SLACK_API_URL": slack.url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}"}
        proc = _serve(env, tmp_path)
        try:
            (opened, *_) = slack.wait_for("apps.connections.open", timeout=20)
            assert opened.token == "xapp-1-sm"
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "listening on http" not in stderr  # no HTTP server in Socket Mode
    assert "fitbot stopped" in stderr


def test_unreachable_database_is_one_clear_line(tmp_path):
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2"}
    result = fitbot("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("fitbot db: cannot start:\n  DATABASE_URL: cannot use the database (")
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_clear_line(tmp_path):
    import socket

    from tests.support.fake_slack import FakeSlack

    with FakeSlack() as slack, socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}", "PORT": str(port)}
        result = fitbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"  PORT: cannot listen on 0.0.0.0:{port} (Address already in use)." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("host", "line"), [
    ("999.1.1.1", "  HOST: 999.1.1.1 is not an address or a name this machine can resolve (use 0.0.0.0 for every "
                  "interface)."),
    ("192.0.2.1", "  HOST: cannot listen on 192.0.2.1:0 (Cannot assign requested address)."),  # not this machine's
])
def test_a_host_fitbot_cannot_listen_on_is_one_clear_line(tmp_path, host, line):
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}",
           "HOST": host, "PORT": "0"}
    result = fitbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert line in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_socket_mode_with_a_refused_app_token_is_one_clear_line(tmp_path):
    from tests.support.fake_slack import FakeSlack

    with FakeSlack() as slack:
        slack.script("apps.connections.open", {"ok": False, "error": "invalid_auth"})
        env = {"SLACK_BOT_TOKEN": "xoxb-sm", "SLACK_APP_TOKEN": "xapp-1-bad", "SLACK_API_URL": slack.url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}"}
        result = fitbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "  SLACK_APP_TOKEN: Slack refused it (invalid_auth)." in result.stderr
    assert "Traceback" not in result.stderr


def test_triage_diagnose_from_a_file_says_what_went_wrong_and_what_to_use_now(tmp_path):
    answers = tmp_path / "globex.yml"
    answers.write_text("company: Globex\nmodel_used: staff_augmentation\nsymptoms: [little_direction]\n"
                       "now:\n  leadership: nobody\n")
    result = fitbot("triage", "--diagnose", "--answers", str(answers), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Globex: Staff augmentation (engineers joined the team) that underperformed"
    assert "  The model can work here; the setup around it didn't." in result.stdout
    assert "Use now: Fractional CTO / consulting first" in lines
    assert "Not the lesson:" in lines
    as_json = json.loads(fitbot("triage", "--diagnose", "--answers", str(answers), "--json", cwd=tmp_path).stdout)
    assert (as_json["wrong"], as_json["use_now"]) == ("setup", "consulting_first")
    assert as_json["lessons"][0]["symptom"] == "little_direction"
    # What argues against the model to use now, among the answers given, is in the output too.
    answers.write_text("company: Globex\nmodel_used: outsourcing\nsymptoms: [treated_as_contractor]\n"
                       "now:\n  onboarding: contractor\n")
    result = fitbot("triage", "--diagnose", "--answers", str(answers), cwd=tmp_path)
    assert "Use now: Nearshore staff augmentation" in result.stdout
    assert "  - Watch out: Like a contractor: An engineer handed accounts and a ticket queue" in result.stdout
    as_json = json.loads(fitbot("triage", "--diagnose", "--answers", str(answers), "--json", cwd=tmp_path).stdout)
    assert [(f["condition"], f["answer"]) for f in as_json["watch_out"]] == [("new_hire_onboarding", "contractor")]


def test_triage_diagnose_rejects_a_bad_file_naming_each_field_and_the_valid_values(tmp_path):
    answers = tmp_path / "bad.yml"
    answers.write_text("company: Acme\nmodel_used: freelancers\nsymptoms: [other]\nnow: {leadership: ceo}\n")
    result = fitbot("triage", "--diagnose", "--answers", str(answers), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"fitbot triage: {answers}: 3 problems:",
        f"  {answers}:2: model_used: Pick the model the client used. (outsourcing, staff_augmentation)",
        f"  {answers}: other: Say in a sentence what went wrong: you ticked \"Something else\".",
        f"  {answers}:4: now.leadership: Pick one of the listed options: head_of_engineering, senior_engineer, "
        "nobody.",
    ]
    # A current answer is named at its own line; an unknown symptom is named.
    answers.write_text("company: Acme\nmodel_used: outsourcing\nsymptoms: [timezone, foo]\nnow:\n"
                       "  collaboration: realtime\n  leadership: ceo\n")
    lines = fitbot("triage", "--diagnose", "--answers", str(answers), cwd=tmp_path).stderr.splitlines()
    assert lines[1].startswith(f"  {answers}:3: symptoms: not a symptom fitbot knows: foo (symptoms: ")
    assert lines[2].startswith(f"  {answers}:6: now.leadership: Pick one of the listed options")


def test_triage_diagnose_asks_at_the_prompt(tmp_path):
    # Company, then outsourcing, then two symptoms, then no current answers.
    result = fitbot("triage", "--diagnose", cwd=tmp_path, stdin="Initech\n1\n1, 5\nn\n")
    assert result.returncode == 0, result.stderr
    assert "Initech: Project outsourcing (a vendor delivered a scope) that underperformed" in result.stdout
    assert "How: Requirements kept changing; The timezone made collaboration hard" in result.stdout
    assert "Use now: Nearshore staff augmentation" in result.stdout


def test_serve_waits_for_an_unreachable_slack_and_healthz_says_why(tmp_path):
    import urllib.error
    import urllib.request

    from tests.support.fake_slack import FakeSlack

    slack_port = _closed_port()  # Slack is "down"
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "HOST": "127.0.0.1", "PORT": "0",
           "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/", "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}"}
    proc = _serve(env, tmp_path)
    try:
        line = _line_with("listening on", proc)
        url = line.strip().rsplit(" ", 1)[1]
        assert url.startswith("http://127.0.0.1:")  # what is really bound
        line = _line_with("can't be reached", proc)
        assert f"Slack can't be reached at http://127.0.0.1:{slack_port}/api/ (" in line
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{url}/healthz", timeout=5)
        assert info.value.code == 503
        assert info.value.read().decode().startswith("waiting for Slack, which can't be reached (")
        with FakeSlack(port=slack_port):  # Slack comes back
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                        assert response.status == 200
                        break
                except urllib.error.HTTPError:
                    time.sleep(0.2)
            else:
                raise AssertionError("fitbot never became healthy once Slack was back")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err and "WARNING slack_bolt" not in err
