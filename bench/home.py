"""What the App Home and a company's history cost as the tables grow: 1,000 stored triages against 100,000.

Run from the repository root::

    .venv/bin/python bench/home.py                 # SQLite in a temp file, then PostgreSQL
    .venv/bin/python bench/home.py --db sqlite --rows 100000

Each database gets --rows triages of other leads' companies (copies of one real stored triage, spread
over 1,000 leads and 5,000 companies), plus the viewer's own 30 triages of one company. It then renders
the viewer's Home tab (bot.home.render_home: their open triages, plans and waiting items) and that
company's `/fit history`, 30 times each, and compares the median with the same on a database of 1,000
triages. Target: within 1.5x (both are indexed lookups, so their cost must not follow the table's size).
PostgreSQL: postgresql+psycopg://postgres@127.0.0.1:5432/test, in private schemas dropped at the end.
Exit status 0 if all pass.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.home import render_home  # noqa: E402
from bot.presentation.history import history_message  # noqa: E402
from bot.record_triage import record_triage  # noqa: E402
from bot.triage import questionnaire  # noqa: E402
from bot.triage.engine import recommend  # noqa: E402
from storage.company_names import company_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.history import company_history  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Triage, TriageRevision  # noqa: E402
from storage.triages import Workspace  # noqa: E402
from tests import databases  # noqa: E402
from tests.databases import private_database  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SMALL, CHUNK, RATIO_LIMIT, RUNS, MINE = 1000, 5000, 1.5, 30, 30
WS, VIEWER, COMPANY = Workspace("T1"), "U0VIEWER", "Viewer Prospect"


def fill(url: str, rows: int) -> None:
    upgrade(url)
    db = Database(url)
    q = questionnaire.load()
    answers = {"company": COMPANY, "leadership": "head_of_engineering", "need_shape": "skills",
               "skills": "Senior Rails engineer", "onboarding": "new_hire", "work_definition": "roadmap",
               "requirements_change": "evolving", "collaboration": "realtime", "timezone": "America/Chicago"}
    for n in range(MINE):
        record_triage(db, q, WS, view_id=f"VMINE{n}", channel_id="C1", user_id=VIEWER, answers=answers,
                      recommendation=recommend(q, answers, date(2026, 12, 3)))
    with db.unit_of_work() as session:
        first = session.get(Triage, 1)
        template = {c.name: getattr(first, c.key) for c in Triage.__table__.columns if c.name != "id"}
        revision = {c.name: getattr(session.get(TriageRevision, 1), c.key)
                    for c in TriageRevision.__table__.columns if c.name not in ("id", "triage_id")}
    with db.engine.begin() as conn:
        for start in range(0, rows, CHUNK):
            batch = range(start, min(start + CHUNK, rows))
            ids = conn.execute(Triage.__table__.insert().returning(Triage.__table__.c.id), [
                {**template, "view_id": f"V{n}", "user_id": f"U{n % 1000:04d}", "company": f"Company {n % 5000}",
                 "company_key": company_key(f"Company {n % 5000}")} for n in batch]).scalars().all()
            conn.execute(TriageRevision.__table__.insert(), [{**revision, "triage_id": i, "view_id": f"V{n}"}
                                                              for i, n in zip(ids, batch, strict=True)])
    if db.is_postgres:  # the statistics a live database has (autovacuum would gather them soon after a bulk load)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    db.close()


def median_ms(work) -> float:
    work()  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(url: str) -> dict[str, float]:
    db = Database(url)

    def home() -> None:
        with db.read() as session:
            render_home(session, WS, VIEWER)

    def history() -> None:
        with db.read() as session:
            history_message(company_history(session, WS, COMPANY), company_key(COMPANY))

    found = {"home": median_ms(home), "history": median_ms(history)}
    db.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    checks = []
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="fitbot-home-") as tmp:
        for kind in kinds:
            databases.POSTGRES_URL = POSTGRES_URL if kind == "postgres" else ""
            with private_database("home_small", Path(tmp)) as small, \
                    private_database("home_large", Path(tmp)) as large:
                fill(small, SMALL)
                fill(large, args.rows)
                base, grown = measure(small), measure(large)
                for what in ("home", "history"):
                    ratio = grown[what] / base[what]
                    print(f"{kind} {what}: {SMALL:,} triages {base[what]:.2f} ms; {args.rows:,} triages "
                          f"{grown[what]:.2f} ms; ratio {ratio:.2f}x", flush=True)
                    checks.append((f"{kind} {what}: {ratio:.2f}x at {args.rows:,} triages against {SMALL:,} "
                                   f"(<= {RATIO_LIMIT}x)", ratio <= RATIO_LIMIT))
    print("\n".join(f"{'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
