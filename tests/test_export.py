"""`fitbot export`: every triage or plan as CSV or JSON, for reporting."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import update

from bot.onboarding import checklist, pulse
from bot.plans import PlanRequest, start_plan
from bot.record_triage import record_triage
from bot.triage import questionnaire
from bot.triage.engine import recommend
from storage.models import Triage
from storage.triages import Workspace

ROOT = Path(__file__).resolve().parents[1]
Q = questionnaire.load()
ANSWERS = {"company": "Acme, \"Labs\" \U0001F469\u200d\U0001F4BB", "leadership": "head_of_engineering",
           "need_shape": "skills", "skills": "Rails", "onboarding": "new_hire", "work_definition": "roadmap",
           "requirements_change": "evolving", "collaboration": "realtime", "timezone": "America/Chicago"}


def export(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", "export", *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=ROOT)


def _triage(db, view_id: str, team: str = "T1", **changes) -> None:
    answers = {**ANSWERS, **changes}
    record_triage(db, Q, Workspace(team), view_id=view_id, channel_id="C1", user_id="U1", answers=answers,
                  recommendation=recommend(Q, answers, date(2026, 12, 3)))


def test_triages_as_csv_keep_every_answer_and_odd_names_whole(db, database_url):
    _triage(db, "V1")
    _triage(db, "V2", leadership="nobody")
    result = export(database_url, "triages")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "exported 2 triages\n"
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["model"] for r in rows] == ["staff_augmentation", "consulting_first"]
    assert rows[0]["company"] == ANSWERS["company"]
    assert json.loads(rows[1]["answers"])["leadership"] == "nobody"
    assert datetime.fromisoformat(rows[0]["created_at"]).tzinfo is not None
    assert rows[0]["contact"] == ""


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(db, database_url):
    _triage(db, "V1", company="=HYPERLINK(\"http://evil.example\")", contact="@channel")
    (row,) = csv.DictReader(io.StringIO(export(database_url, "triages").stdout))
    assert (row["company"], row["contact"]) == ("'=HYPERLINK(\"http://evil.example\")", "'@channel")
    (item,) = json.loads(export(database_url, "triages", "--format", "json").stdout)
    assert item["company"] == "=HYPERLINK(\"http://evil.example\")"  # JSON is data, not a sheet: kept as typed


def test_since_and_team_narrow_the_export_and_json_is_one_array(db, database_url):
    _triage(db, "VOLD")
    _triage(db, "VNEW")
    _triage(db, "VOTHER", team="T2")
    with db.unit_of_work() as s:
        s.execute(update(Triage).where(Triage.view_id == "VOLD").values(created_at=datetime(2026, 1, 5, tzinfo=UTC)))
    result = export(database_url, "triages", "--format", "json", "--since", "2026-06-01", "--team", "T1")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["team_id"], row["answers"]["timezone"]) == ("T1", "America/Chicago")
    assert export(database_url, "triages", "--format", "json", "--team", "T9").stdout == "[]\n"


def test_plans_export_with_their_progress_and_company(db, database_url):
    _triage(db, "VPLAN")
    request = PlanRequest(engineer_user_id="UENG", engineer_name=None, manager_user_id="UMGR", buddy_user_id=None,
                          channel_id="CPLAN", start_date=date(2026, 12, 14), timezone="America/Chicago",
                          nudge_time="09:30")
    with db.unit_of_work() as s:
        triage_id = s.query(Triage.id).scalar()
    start_plan(db, checklist.load(), Workspace("T1"), check_ins=pulse.load(), view_id="VP", created_by="U1",
               request=request, triage_id=triage_id)
    (row,) = csv.DictReader(io.StringIO(export(database_url, "plans").stdout))
    assert (row["company"], row["status"], row["start_date"]) == (ANSWERS["company"], "active", "2026-12-14")
    assert int(row["items"]) == int(row["items_open"]) > 0 and row["items_done"] == "0"


def test_a_bad_day_is_refused_naming_the_option(database_url):
    result = export(database_url, "plans", "--since", "2026-13-01")
    assert result.returncode == 2
    assert "argument --since: '2026-13-01' is not a day (YYYY-MM-DD)" in result.stderr


def test_a_database_fitbot_never_migrated_is_one_line_and_nothing_is_written(tmp_path):
    import sqlite3

    missing = tmp_path / "missing.db"
    result = export(f"sqlite:///{missing}", "triages")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[1] == (f"  DATABASE_URL: there is no database file at {missing}; run "
                                             "`fitbot db upgrade` (or `fitbot serve`) first.")
    assert not missing.exists()  # not created by looking
    sqlite3.connect(tmp_path / "empty.db").close()
    result = export(f"sqlite:///{tmp_path / 'empty.db'}", "plans", "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert "DATABASE_URL: it has no fitbot tables yet; run `fitbot db upgrade`" in result.stderr


def test_a_database_behind_the_code_is_refused_and_a_writer_does_not_hold_the_export_up(tmp_path):
    import sqlite3

    from storage.migrate import upgrade

    behind = tmp_path / "behind.db"
    upgrade(f"sqlite:///{behind}", "2026_12_03_0007")
    result = export(f"sqlite:///{behind}", "triages")
    assert result.returncode == 2 and result.stdout == ""
    assert "DATABASE_URL: its schema is at 2026_12_03_0007, not the latest" in result.stderr
    # A writer holding SQLite's lock doesn't hold up the check (it reads, as the export does).
    current = tmp_path / "current.db"
    upgrade(f"sqlite:///{current}")
    writer = sqlite3.connect(current, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = export(f"sqlite:///{current}", "triages")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 0, result.stderr
