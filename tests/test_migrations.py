"""Migrations keep what is stored: a triage from an older questionnaire keeps its version and result, and
becomes its own first revision, still editing the message it was posted as."""

from __future__ import annotations

from sqlalchemy import select, text

from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage, Triage, TriageRevision
from tests.databases import private_database


def test_an_older_triage_keeps_its_version_and_result(tmp_path):
    with private_database("fitbot_migrations", tmp_path) as url:
        upgrade(url, "2026_11_28_0003")
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO triages (team_id, channel_id, user_id, view_id, company, answers, questionnaire_version,"
                " model, confidence, reasons, risks, next_steps, overlap, created_at, updated_at) VALUES"
                " ('T1', 'C1', 'U1', 'V1', 'Acme', '{\"work_definition\": \"exploring\"}', '2026-11-28.1',"
                " 'staff_augmentation', 'low', '[\"old reason\"]', '[]', '[]', '[]',"
                " '2026-11-28 10:00:00', '2026-11-28 10:00:00')"))
        upgrade(url)
        with db.unit_of_work() as session:
            triage = session.scalars(select(Triage)).one()
            stored = (triage.questionnaire_version, triage.model, triage.confidence, triage.reasons,
                      triage.explanation)
        db.close()
    # The old points table recommended augmentation here; the triage keeps that, and is not recomputed.
    assert stored == ("2026-11-28.1", "staff_augmentation", "low", ["old reason"], None)


def test_an_existing_triage_becomes_revision_1_and_keeps_its_message(tmp_path):
    with private_database("fitbot_migrations", tmp_path) as url:
        upgrade(url, "2026_12_03_0005")
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO triages (id, team_id, channel_id, user_id, view_id, company, answers,"
                " questionnaire_version, model, confidence, reasons, risks, next_steps, overlap, created_at,"
                " updated_at) VALUES (7, 'T1', 'C1', 'U1', 'V1', 'Acme', '{\"leadership\": \"nobody\"}',"
                " '2026-12-03.1', 'fractional_cto', 'high', '[\"r\"]', '[]', '[\"s\"]', '[]',"
                " '2026-12-01 10:00:00', '2026-12-01 10:00:00')"))
            conn.execute(text(
                "INSERT INTO outbox (team_id, dedupe_key, kind, channel_id, payload, status, due_at, attempts,"
                " created_at, sent_channel_id, sent_ts) VALUES ('T1', 'triage:7', 'recommendation', 'C1', '{}',"
                " 'sent', '2026-12-01 10:00:00', 1, '2026-12-01 10:00:00', 'C1', '1700000000.000100')"))
        upgrade(url)
        with db.unit_of_work() as session:
            triage = session.scalars(select(Triage)).one()
            (first,) = session.scalars(select(TriageRevision)).all()
            row = session.scalars(select(OutboxMessage)).one()
            found = ((triage.revision, triage.message_channel_id, triage.message_ts), row.subject,
                     (first.triage_id, first.number, first.view_id, first.user_id, first.answers, first.model,
                      first.next_steps, first.changes, first.created_at.isoformat()))
        db.close()
    assert found == ((1, "C1", "1700000000.000100"), "triage:7",
                     (7, 1, "V1", "U1", {"leadership": "nobody"}, "fractional_cto", ["s"], [],
                      "2026-12-01T10:00:00+00:00"))


def test_migrations_build_exactly_the_schema_the_models_describe(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with private_database("fitbot_migrations", tmp_path) as url:
        upgrade(url)
        db = Database(url)
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        db.close()
    assert differences == []


def test_company_keys_are_filled_for_what_was_stored_before(tmp_path):
    with private_database("fitbot_migrations", tmp_path) as url:
        upgrade(url, "2026_12_03_0006")
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO triages (team_id, channel_id, user_id, view_id, company, answers, questionnaire_version,"
                " model, confidence, reasons, risks, next_steps, overlap, created_at, updated_at, revision) VALUES"
                " ('T1', 'C1', 'U1', 'V1', 'Café  Ñandú', '{}', 'v', 'discovery_first', 'low', '[]', '[]', '[]',"
                " '[]', '2026-12-01 10:00:00', '2026-12-01 10:00:00', 1)"))
        upgrade(url)
        with db.unit_of_work() as session:
            key = session.scalars(select(Triage.company_key)).one()
        db.close()
    assert key == "cafe nandu"


def test_a_postgresql_that_is_down_is_one_line_saying_how_to_start_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "FITBOT_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    one_test = "tests/test_migrations.py::test_an_older_triage_keeps_its_version_and_result"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", one_test],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "PostgreSQL at FITBOT_TEST_DATABASE_URL is unreachable (" in result.stdout + result.stderr
    assert "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
