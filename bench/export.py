"""Peak memory of `fitbot export` as the table grows: 1,000 triages against 100,000 (--rows).

Run from the repository root::

    .venv/bin/python bench/export.py                 # SQLite in a temp file, then PostgreSQL
    .venv/bin/python bench/export.py --db sqlite --rows 100000

For each database it fills one private database with --rows triages and another with 1,000 (answers,
reasons, risks and overlap as a real triage stores them), then runs `fitbot export triages` in CSV and in
JSON against each, output to /dev/null, and reads each child's peak resident memory (wait4). Target: the
large export's peak within 1.25x of the small one's (the rows are streamed, so memory must not follow the
row count), and every row written. PostgreSQL: postgresql+psycopg://postgres@127.0.0.1:5432/test, in
private schemas dropped at the end. Exit status 0 if all pass.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.record_triage import record_triage  # noqa: E402
from bot.triage import questionnaire  # noqa: E402
from bot.triage.engine import recommend  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Triage  # noqa: E402
from storage.triages import Workspace  # noqa: E402
from tests import databases  # noqa: E402
from tests.databases import private_database  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SMALL, CHUNK, RATIO_LIMIT = 1000, 5000, 1.25


def fill(url: str, rows: int) -> None:
    """One real triage, then `rows` copies of its stored row (a bulk insert; the export reads them all alike)."""
    upgrade(url)
    db = Database(url)
    q = questionnaire.load()
    answers = {"company": "Acme Corp", "leadership": "head_of_engineering", "need_shape": "skills",
               "skills": "Senior Rails engineer to own the API layer", "onboarding": "new_hire",
               "work_definition": "roadmap", "requirements_change": "evolving", "collaboration": "realtime",
               "timezone": "America/Chicago"}
    record_triage(db, q, Workspace("T1"), view_id="V0", channel_id="C1", user_id="U1", answers=answers,
                  recommendation=recommend(q, answers, date(2026, 12, 3)))
    with db.unit_of_work() as session:
        template = {c.name: getattr(session.get(Triage, 1), c.key) for c in Triage.__table__.columns if c.name != "id"}
    with db.engine.begin() as conn:
        for start in range(1, rows, CHUNK):
            conn.execute(Triage.__table__.insert(), [{**template, "view_id": f"V{n}"}
                                                    for n in range(start, min(start + CHUNK, rows))])
    db.close()


def peak_export(url: str, fmt: str) -> tuple[float, float, str]:
    """(peak RSS in MiB, seconds, the summary line) of one `fitbot export triages --format fmt`."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "export", "triages", "--format", fmt], cwd=ROOT,
                                env=env, stdout=sink, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    summary = proc.stderr.read().strip()
    if status != 0:
        raise RuntimeError(f"export failed: {summary}")
    return usage.ru_maxrss / 1024, seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    checks = []
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="fitbot-export-") as tmp:
        for kind in kinds:
            databases.POSTGRES_URL = POSTGRES_URL if kind == "postgres" else ""  # private schemas, or SQLite files
            with private_database("export_small", Path(tmp)) as small, \
                    private_database("export_large", Path(tmp)) as large:
                fill(small, SMALL)
                fill(large, args.rows)
                for fmt in ("csv", "json"):
                    small_mib, small_s, _ = peak_export(small, fmt)
                    large_mib, large_s, written = peak_export(large, fmt)
                    ratio = large_mib / small_mib
                    print(f"{kind} {fmt}: {SMALL:,} rows {small_mib:.1f} MiB in {small_s:.1f} s; "
                          f"{args.rows:,} rows {large_mib:.1f} MiB in {large_s:.1f} s "
                          f"({args.rows / large_s:,.0f} rows/s); peak ratio {ratio:.2f}x", flush=True)
                    checks.append((f"{kind} {fmt}: peak {ratio:.2f}x at {args.rows:,} rows against {SMALL:,} "
                                   f"(<= {RATIO_LIMIT}x), every row written",
                                   ratio <= RATIO_LIMIT and written == f"exported {args.rows} triages"))
    print("\n".join(f"{'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
