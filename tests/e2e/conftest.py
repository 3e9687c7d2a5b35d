from __future__ import annotations

import pytest

from tests.databases import empty
from tests.e2e.fitbot_process import FitbotProcess
from tests.support.fake_slack import FakeSlack


@pytest.fixture(scope="session")
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="module")
def fitbot_server(slack, database_url, session_db, tmp_path_factory):
    """One `fitbot serve` per test module. It stops with the module, so tests outside e2e/ that drive
    the outbox themselves never race its dispatcher for the same rows. It starts on an empty database,
    so it never claims (and sends, while a test waits on Slack) the rows an earlier module left unsent."""
    empty(session_db)
    server = FitbotProcess(database_url=database_url, api_url=slack.url, workdir=tmp_path_factory.mktemp("run"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fitbot(fitbot_server, slack, db):
    """A running fitbot against a freshly emptied database and a reset fake Slack."""
    slack.reset()
    return fitbot_server
