import pytest

from bot.config import SettingsError, load_settings, parse_settings

VALID = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}


def test_defaults():
    s = parse_settings(VALID)
    assert (s.api_url, s.database_url, s.port, s.log_level, s.socket_mode, s.channel_rate) == (
        "https://slack.com/api/", "sqlite:///fitbot.db", 3000, "INFO", False, 1.0)


def test_every_problem_on_its_own_line():
    with pytest.raises(SettingsError) as info:
        parse_settings({"SLACK_BOT_TOKEN": "xoxp-user", "PORT": "http", "LOG_LEVEL": "loud",
                        "SLACK_API_URL": "slack.com", "DATABASE_URL": "mysql://x", "SLACK_CHANNEL_RATE": "fast"})
    names = [p.split(":")[0] for p in info.value.problems]
    assert names == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL", "PORT",
                     "LOG_LEVEL", "SLACK_CHANNEL_RATE"]


@pytest.mark.parametrize(("text", "rate"), [("0", 0.0), ("0.5", 0.5), ("2", 2.0)])
def test_channel_rate_takes_a_number_and_zero_turns_pacing_off(text, rate):
    assert parse_settings({**VALID, "SLACK_CHANNEL_RATE": text}).channel_rate == rate


@pytest.mark.parametrize("text", ["-1", "1000", "nan", "inf"])
def test_channel_rate_out_of_range_is_refused(text):
    with pytest.raises(SettingsError) as info:
        parse_settings({**VALID, "SLACK_CHANNEL_RATE": text})
    assert info.value.problems == [f"SLACK_CHANNEL_RATE: {text!r} is not a number of messages a second per channel "
                                   "(0 to 100; 0 turns pacing off)."]


def test_missing_tokens_say_where_to_get_them():
    with pytest.raises(SettingsError) as info:
        parse_settings({})
    assert "OAuth & Permissions" in info.value.problems[0]
    assert "Basic Information" in info.value.problems[1]


def test_socket_mode_needs_no_signing_secret_and_db_needs_no_tokens():
    assert parse_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).socket_mode
    assert parse_settings({}, purpose="db").database_url == "sqlite:///fitbot.db"
    assert parse_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, purpose="dispatch").signing_secret is None


def test_each_purpose_checks_only_the_settings_it_reads():
    wrong = {"SLACK_BOT_TOKEN": "xoxb-1", "PORT": "abc", "SLACK_APP_TOKEN": "bad", "SLACK_API_URL": "x",
             "LOG_LEVEL": "loud"}
    with pytest.raises(SettingsError) as info:
        parse_settings(wrong, purpose="db")
    assert info.value.problems == ["LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL."]
    with pytest.raises(SettingsError) as info:
        parse_settings(wrong, purpose="dispatch")
    assert [p.split(":")[0] for p in info.value.problems] == ["SLACK_API_URL", "LOG_LEVEL"]
    with pytest.raises(SettingsError) as info:
        parse_settings(wrong)
    assert [p.split(":")[0] for p in info.value.problems] == ["SLACK_APP_TOKEN", "SLACK_API_URL", "PORT",
                                                               "LOG_LEVEL"]


def test_urls_normalised():
    s = parse_settings({**VALID, "SLACK_API_URL": "http://127.0.0.1:9/api", "DATABASE_URL": "postgres://u@h/db"})
    assert s.api_url == "http://127.0.0.1:9/api/"
    assert s.database_url == "postgresql+psycopg://u@h/db"


def test_env_file_fills_gaps_but_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=file\nPORT=4000\n")
    s = load_settings(environ={"PORT": "5000"}, env_file=env_file)
    assert (s.bot_token, s.port) == ("xoxb-from-file", 5000)


def test_repr_hides_secrets():
    text = repr(parse_settings({**VALID, "DATABASE_URL": "postgresql://u:pw@h/db"}))
    assert "s3cret" not in text and "xoxb" not in text and "pw" not in text


@pytest.mark.parametrize(("url", "problem"), [
    ("postgresql://", "DATABASE_URL: name the database, e.g. postgresql://user@host:5432/fitbot"),
    ("postgresql://postgres@127.0.0.1:5432", "DATABASE_URL: name the database"),
    ("sqlite:///", "DATABASE_URL: an in-memory SQLite database is lost when fitbot stops"),
    ("sqlite:///:memory:", "DATABASE_URL: an in-memory SQLite database is lost when fitbot stops"),
    ("fitbot.db", "DATABASE_URL: 'fitbot.db' is not a database URL; use sqlite:///fitbot.db or postgresql://"),
    ("mysql://u@h/db", "DATABASE_URL: 'mysql' isn't supported"),
])
def test_database_urls_that_cannot_serve_fitbot_are_one_line_each(url, problem):
    with pytest.raises(SettingsError) as info:
        parse_settings({**VALID, "DATABASE_URL": url})
    (line,) = info.value.problems
    assert line.startswith(problem)


def test_database_urls_are_read_by_sqlalchemy_with_psycopg_for_postgresql():
    for given in ("postgres://u:p%40ss@db:5432/fitbot", "postgresql://u:p%40ss@db:5432/fitbot"):
        assert parse_settings({**VALID, "DATABASE_URL": given}).database_url == "postgresql+psycopg://u:p%40ss@db:5432/fitbot"
    assert parse_settings({**VALID, "DATABASE_URL": "sqlite:////var/lib/fitbot.db"}).database_url == (
        "sqlite:////var/lib/fitbot.db")


def test_host_defaults_to_every_interface():
    assert parse_settings(VALID).host == "0.0.0.0"
    assert parse_settings({**VALID, "HOST": "127.0.0.1"}).host == "127.0.0.1"
