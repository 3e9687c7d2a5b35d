"""Outbox dispatch: rows per second of one `Dispatcher.run_pass()`, and what an idle tick costs as the table grows.

Run from the repository root (loopback only; the script starts and stops everything it uses)::

    .venv/bin/python bench/dispatch.py                       # SQLite (temp file), then PostgreSQL
    .venv/bin/python bench/dispatch.py --db postgres --rows 100000 --due 10000 --json dispatch.json

PostgreSQL: postgresql+psycopg://postgres@127.0.0.1:5432/test, in private schemas dropped at the end. A minimal
fake Slack Web API (answers every POST at once, counts calls) runs in a child process. Per database: idle ticks at
1k, 10k and --rows pending rows, none due (median of --idle-passes passes, each followed by a tick on a second
database of 1,000 rows, so that the machine's swings in speed hit both alike; and of the claim SELECT alone); one timed
pass after --due of them come due (stored payloads over 1,000 channels), with the CPU each dispatcher step
(claim / render / Slack call / recording the outcome) and each process spent per row; one timed pass over the
nudges of --plans real plans (`bot.plans.start_plan`); EXPLAIN of fitbot's claim query. Just before each timed
pass, its baseline, since absolute rates follow the machine: --bare-calls chat.postMessage calls in a bare loop,
no database, through the client the dispatcher uses (slack_sdk's WebClient, as bot.slack_client builds it).
Targets: each pass sends at least SLACK_MARGIN times Slack's own posting limit for a workspace (pacing is off), and
an idle tick at --rows within 2x of the 1,000-row one ticked alternately with it. The pass's ratio to the bare loop
is reported: above 1x, the dispatcher's parallel senders more than pay for the outbox's own work.
Exit status 0 if all pass.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import event, insert, text, update  # noqa: E402

from bot.dispatcher import Dispatcher  # noqa: E402
from bot.onboarding import checklist, pulse  # noqa: E402
from bot.plan_messages import PLAN_KINDS  # noqa: E402
from bot.plans import PlanRequest, start_plan  # noqa: E402
from bot.slack_client import UnsentRequestRetryHandler  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, utcnow  # noqa: E402
from storage.triages import Workspace  # noqa: E402

POSTGRES_URL, SCHEMA = "postgresql+psycopg://postgres@127.0.0.1:5432/test", f"bench_dispatch_{os.getpid()}"
REFERENCE, REFERENCE_ROWS = f"{SCHEMA}_reference", 1000  # the small table each idle tick is read against
CHANNELS, CHUNK, IDLE_RATIO_LIMIT = 1000, 5000, 2.0
# chat.postMessage: about one message a second per channel, and a workspace-wide limit Slack does not publish.
# 10/s (600 messages a minute, above the "several hundred a minute" often quoted) is a generous ceiling for it.
SLACK_WORKSPACE_RATE, SLACK_MARGIN = 10.0, 20
PAYLOAD = {"text": "Recommendation for Acme Corp: Placement B (high confidence)",  # ~0.7 KB of JSON
           "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Acme Corp: Placement B"}},
                      {"type": "section", "text": {"type": "mrkdwn", "text": "*Why* " + "reason text. " * 40}},
                      {"type": "context", "elements": [{"type": "mrkdwn", "text": "Requested by <@U0001>"}]}]}


def child_fake() -> None:
    from bench.minimal_slack import serve

    serve()

def fake_calls(fake: subprocess.Popen) -> int:
    fake.stdin.write("*\n")
    fake.stdin.flush()
    return int(fake.stdout.readline())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc)."""
    ticks = sum(sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])) for pid in pids)
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def database(kind: str, tmp: str, schema: str = SCHEMA):
    """A fresh, migrated database: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        upgrade(url := f"sqlite:///{tmp}/{schema}.db")
        yield url
        return
    drop_schema(schema)
    with Database(POSTGRES_URL).engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:  # application_name finds this run's server processes, to count their CPU
        upgrade(url := f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={schema}")
        yield url
    finally:
        drop_schema(schema)


def drop_schema(schema: str) -> None:
    """Drop one of this run's schemas, ending its own connections first (they are left only by an abort)."""
    admin = Database(POSTGRES_URL)
    with admin.engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                     {"name": schema})
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.close()


def sql(db: Database, statement: str, **params) -> list:
    with db.engine.begin() as conn:
        return list(conn.execute(text(statement), params).scalars())


def add_rows(db: Database, first: int, last: int) -> None:
    """Bulk-insert pending stored-payload rows `first`..`last` - 1, due tomorrow or later."""
    now = utcnow()
    for start in range(first, last, CHUNK):
        with db.engine.begin() as conn:
            conn.execute(insert(OutboxMessage.__table__), [
                {"team_id": "T0001", "dedupe_key": f"bench:{i}", "kind": "recommendation", "subject": f"bench:{i}",
                 "channel_id": f"C{i % CHANNELS:08d}", "payload": PAYLOAD, "status": "pending", "attempts": 0,
                 "due_at": now + timedelta(days=1, seconds=i), "created_at": now}
                for i in range(start, min(start + CHUNK, last))])
    settle(db)


def make_due(db: Database, count: int, kind: str) -> int:
    """Make up to `count` pending rows of `kind`, spread over the table, due in the last hour; returns how many."""
    ids = sql(db, "SELECT id FROM outbox WHERE status = 'pending' AND kind = :kind ORDER BY id", kind=kind)
    chosen, due = ids[::max(len(ids) // max(count, 1), 1)][:count], utcnow() - timedelta(hours=1)
    with db.engine.begin() as conn:
        for n, start in enumerate(range(0, len(chosen), CHUNK)):
            conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(chosen[start:start + CHUNK]))
                         .values(due_at=due + timedelta(seconds=n)))
    settle(db)
    return len(chosen)


def settle(db: Database) -> None:
    """PostgreSQL: VACUUM ANALYZE every table (the outbox, plans and their items), as autovacuum would have done
    long before rows come due in real use; without statistics the planner may scan a table for a few rows."""
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox, plans, plan_items"))


def idle(dispatcher: Dispatcher, reference: Dispatcher, query: list, passes: int, rows: int, when: str = "") -> dict:
    """Median ms of `passes` idle `run_pass()`es, each followed by one on the reference table (so that the
    machine's swings in speed hit both alike), and of fitbot's claim SELECT alone (after 3 warm-ups each)."""
    def median_ms(*steps) -> list[float]:
        times = [[] for _ in steps]
        for _ in range(passes + 3):
            for step, taken in zip(steps, times, strict=True):
                started = time.perf_counter()
                step()
                taken.append((time.perf_counter() - started) * 1000)
        return [statistics.median(taken[3:]) for taken in times]

    with dispatcher.db.engine.connect() as conn:
        (select_ms,) = median_ms(lambda: (conn.exec_driver_sql(*query).all(), conn.rollback()))
    tick_ms, reference_ms = median_ms(dispatcher.run_pass, reference.run_pass)
    return {"rows": rows, "when": when, "tick_ms": tick_ms, "reference_ms": reference_ms, "select_ms": select_ms}


def timed_pass(db: Database, dispatcher: Dispatcher, fake: subprocess.Popen, expected: int, api_url: str,
               bare: int) -> dict:
    """One pass over what is due: rate; per row, CPU ms by dispatcher step (summed over its threads) and by
    process, SQL round trips and commits; and, measured just before, the bare loops' rates."""
    baseline = bare_calls(api_url, bare)
    spent = Counter()
    steps = {"_claim": "claim", "_render": "render", "_make": "Slack call", "_record": "record outcome"}

    def timer(name, method):
        def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.thread_time() - started
        return timed

    hooks = [("before_cursor_execute", lambda *_: spent.update(["sql"])), ("commit", lambda *_: spent.update(["tx"]))]
    for name in steps:
        setattr(dispatcher, name, timer(name, getattr(dispatcher, name)))
    for hook in hooks:
        event.listen(db.engine, *hook)
    pids = sql(db, "SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name')") \
        if db.is_postgres else []
    calls, cpu = fake_calls(fake), (time.process_time(), cpu_seconds([fake.pid]), cpu_seconds(pids))
    started = time.perf_counter()
    result = dispatcher.run_pass()
    wall = time.perf_counter() - started
    cpu = [b - a for a, b in zip(cpu, (time.process_time(), cpu_seconds([fake.pid]), cpu_seconds(pids)), strict=True)]
    for name in steps:
        delattr(dispatcher, name)
    for hook in hooks:
        event.remove(db.engine, *hook)
    n = max(result.sent, 1)
    steps_ms = {label: spent[name] * 1000 / n for name, label in steps.items()}
    cpu_ms = {"fitbot": cpu[0] * 1000 / n, "fake Slack": cpu[1] * 1000 / n,
              **({"PostgreSQL": cpu[2] * 1000 / n} if pids else {})}
    return {"expected": expected, "sent": result.sent, "slack_calls": fake_calls(fake) - calls,
            "retried": result.retried, "failed": result.failed, "seconds": wall, "per_s": result.sent / wall,
            "ms_per_row": wall * 1000 / n, "sql_per_row": spent["sql"] / n, "commits_per_row": spent["tx"] / n,
            "step_cpu_ms_per_row": steps_ms, "process_cpu_ms_per_row": cpu_ms, "bare_calls_per_s": baseline}


def explain(db: Database, dispatcher: Dispatcher, query: list, analyze: bool) -> list[str]:
    """EXPLAIN fitbot's own claim SELECT, captured with its parameters from an idle pass the first time."""
    if not query:
        def capture(conn, cursor, statement, parameters, *_):
            if statement.lstrip().startswith("SELECT") and "FROM outbox" in statement and not query:
                query.extend((statement, parameters))
        event.listen(db.engine, "before_cursor_execute", capture)
        dispatcher.run_pass()
        event.remove(db.engine, "before_cursor_execute", capture)
    prefix = "EXPLAIN QUERY PLAN "  # PostgreSQL: ANALYZE only while nothing is due (it would lock rows)
    if db.is_postgres:
        prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if analyze else "EXPLAIN (COSTS OFF) "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + query[0], query[1]).all()
        conn.rollback()
    return [str(row[-1]) for row in rows]


def delivery_client(api_url: str) -> WebClient:
    """What bot.slack_client.delivery_client builds, for the benchmark's token and fake."""
    return WebClient(token="xoxb-bench", base_url=api_url, retry_handlers=[UnsentRequestRetryHandler()])


def bare_calls(api_url: str, calls: int) -> dict:
    """The same-run baseline: calls/s of a bare loop of chat.postMessage calls (the stored payload) to the same
    fake, with no database, through the dispatcher's own client."""
    clients = {"stock": delivery_client(api_url)}
    rates = {}
    for name, client in clients.items():
        for n in range(-50, calls):  # the first 50 warm up
            if n == 0:
                started = time.perf_counter()
            client.chat_postMessage(channel=f"C{n % CHANNELS:08d}", **PAYLOAD)
        rates[name] = calls / (time.perf_counter() - started)
    return rates


def add_plans(db: Database, count: int) -> None:
    """Start `count` real plans: each queues a nudge, a follow-up and an escalation per item, and digests."""
    plan_checklist, check_ins = checklist.load(), pulse.load()
    for n in range(count):
        request = PlanRequest(engineer_user_id=f"UE{n:05d}", engineer_name=None, manager_user_id=f"UM{n:05d}",
                              buddy_user_id=f"UB{n:05d}", channel_id=f"CP{n % CHANNELS:07d}", start_date=date.today(),
                              timezone="Europe/Paris", nudge_time="09:00")
        start_plan(db, plan_checklist, Workspace("T0001"), check_ins=check_ins, view_id=f"VBENCH{n}", created_by="U1",
                   request=request, triage_id=None)


def run(kind: str, args: argparse.Namespace, fake: subprocess.Popen, api_url: str, tmp: str) -> dict:
    out, query, size = {"db": kind, "idle": []}, [], 0
    with database(kind, tmp) as url, database(kind, tmp, REFERENCE) as reference_url:
        db, reference_db = Database(url), Database(reference_url)
        client = delivery_client(api_url)
        dispatcher = Dispatcher(db, client, kinds=PLAN_KINDS, owner="bench")
        reference = Dispatcher(reference_db, client, kinds=PLAN_KINDS, owner="bench")
        try:
            add_rows(reference_db, 0, REFERENCE_ROWS)
            explain(reference_db, reference, query, analyze=False)  # captures the claim SELECT
            for target in sorted(n for n in {1000, 10000, args.rows} if n <= args.rows):
                add_rows(db, size, target)
                size = target
                out["idle"].append(idle(dispatcher, reference, query, args.idle_passes, size))
                print(f"  {kind}: idle tick at {size:,} rows: {out['idle'][-1]['tick_ms']:.3f} ms", flush=True)
            out["explain_idle"] = explain(db, dispatcher, query, analyze=True)
            due = make_due(db, args.due, "recommendation")
            out["explain_due"] = explain(db, dispatcher, query, analyze=False) if db.is_postgres else []
            out["stored"] = timed_pass(db, dispatcher, fake, due, api_url, args.bare_calls)
            print(f"  {kind}: stored rows: {out['stored']['per_s']:,.0f}/s", flush=True)
            out["idle"].append(idle(dispatcher, reference, query, args.idle_passes, size, "after the pass"))
            if db.is_postgres:
                settle(db)
                out["idle"].append(idle(dispatcher, reference, query, args.idle_passes, size, "after VACUUM"))
            if args.plans:
                add_plans(db, args.plans)
                out["nudge"] = timed_pass(db, dispatcher, fake, make_due(db, 10**9, "nudge"), api_url,
                                          args.bare_calls)
                print(f"  {kind}: plan nudges: {out['nudge']['per_s']:,.0f}/s", flush=True)
        finally:
            db.close()
            reference_db.close()
    return out


def report(results: list[dict], args: argparse.Namespace) -> int:
    checks, fmt, indent = [], lambda d: ", ".join(f"{k} {v:.2f}" for k, v in d.items()), "\n    "
    for r in results:
        print(f"\n== {r['db']} ==")
        for i in r["idle"]:
            print(f"idle tick, {i['rows']:,} rows{' ' + i['when'] if i['when'] else ''}: {i['tick_ms']:.3f} ms "
                  f"(alternating with {REFERENCE_ROWS:,} rows: {i['reference_ms']:.3f} ms); "
                  f"claim SELECT alone {i['select_ms']:.3f} ms")
        for name, p in ((name, r[name]) for name in ("stored", "nudge") if name in r):
            print(f"{name} pass: {p['sent']:,} of {p['expected']:,} sent, {p['slack_calls']:,} Slack calls, "
                  f"{p['seconds']:.1f} s = {p['per_s']:,.0f}/s; per row: {p['ms_per_row']:.2f} ms, "
                  f"{p['sql_per_row']:.2f} SQL round trips, {p['commits_per_row']:.2f} commits{indent}"
                  f"CPU ms/row by step: {fmt(p['step_cpu_ms_per_row'])}{indent}"
                  f"CPU ms/row by process: {fmt(p['process_cpu_ms_per_row'])}{indent}"
                  "just before, bare chat.postMessage loops with no database: " +
                  ", ".join(f"{client} client {rate:,.0f}/s" for client, rate in p["bare_calls_per_s"].items()))
            margin = p["per_s"] / SLACK_WORKSPACE_RATE
            checks.append((f"{r['db']}: {name} rows at {p['per_s']:,.0f}/s, {margin:,.0f}x Slack's ~"
                           f"{SLACK_WORKSPACE_RATE:g}/s for a workspace (>= {SLACK_MARGIN}x), each sent once",
                           margin >= SLACK_MARGIN and p["sent"] == p["expected"] == p["slack_calls"]))
            versus = p["per_s"] / p["bare_calls_per_s"]["stock"]
            print(f"{name} pass: {versus:.2f}x the same client's bare loop")
        for title, plan in (("nothing due", r["explain_idle"]), ("rows due", r["explain_due"])):
            if plan:
                print(f"claim query plan, {title}:{indent}" + indent.join(plan))
        large = [i for i in r["idle"] if not i["when"]][-1]
        ratio = large["tick_ms"] / large["reference_ms"]
        checks.append((f"{r['db']}: idle tick {large['tick_ms']:.3f} ms at {large['rows']:,} rows, "
                       f"{large['reference_ms']:.3f} ms at {REFERENCE_ROWS:,} (ticked alternately): {ratio:.2f}x "
                       f"(<= {IDLE_RATIO_LIMIT}x)", ratio <= IDLE_RATIO_LIMIT))
    print("\n" + "\n".join(f"{'PASS' if ok else 'FAIL'}: {line}" for line, ok in checks))
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "results": results,
                                         "checks": [{"check": t, "pass": ok} for t, ok in checks]}, indent=2) + "\n")
    return 0 if all(ok for _, ok in checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    for option, default in (("rows", 100_000), ("due", 10_000), ("plans", 400), ("idle-passes", 50),
                            ("bare-calls", 3000), ("time-limit", 900)):
        parser.add_argument(f"--{option}", type=int, default=default, help=f"default {default}")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_fake()
    fake = subprocess.Popen([sys.executable, __file__, "--child"], text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)

    tmp, aborting = tempfile.TemporaryDirectory(prefix="fitbot-dispatch-"), threading.Event()

    def abort() -> None:  # the run must end by itself, whatever hangs
        print(f"aborting: still running after {args.time_limit:.0f} s", file=sys.stderr, flush=True)
        aborting.set()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # the main thread's errors while we pull things from under it
        try:
            fake.kill()
            tmp.cleanup()
            if args.db != "sqlite":
                for schema in (SCHEMA, REFERENCE):
                    drop_schema(schema)
        finally:
            os._exit(2)

    watchdog, results = threading.Timer(args.time_limit, abort), []
    watchdog.daemon = True
    watchdog.start()
    try:
        api_url = fake.stdout.readline().strip()
        print(f"{os.cpu_count()} CPUs shared by this process, the fake Slack (a child process) and the database; "
              f"1-min load {os.getloadavg()[0]:.2f}", flush=True)
        for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            results.append(run(kind, args, fake, api_url, tmp.name))
    except BaseException:
        if aborting.is_set():  # abort() is cleaning up and ends the process
            threading.Event().wait()
        raise
    finally:
        watchdog.cancel()
        fake.stdin.close()
        fake.wait(10)
        tmp.cleanup()
    return report(results, args)


if __name__ == "__main__":
    sys.exit(main())
