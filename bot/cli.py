"""The `fitbot` command: serve, dispatch, db upgrade, triage."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, date, datetime, time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.config import READS, SettingsError, load_settings
from bot.data_files import DataFileError


def _version() -> str:
    """The installed version; a checkout run without installing it (PYTHONPATH=.) has no metadata."""
    try:
        return version("fitbot")
    except PackageNotFoundError:
        return "(not installed: run `make install`)"


def _reads(*names: str) -> str:
    return ("reads from the environment (or .env): " + ", ".join(names) + ". README.md lists every setting."
            if names else "reads no settings.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fitbot", description="Engagement triage for Slack.")
    parser.add_argument("--version", action="version", version=f"fitbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the Slack app (HTTP on PORT, or Socket Mode with SLACK_APP_TOKEN)",
                        description="Run migrations, then serve Slack requests and deliver queued messages.",
                        epilog=_reads(*READS["serve"]))
    commands.add_parser("dispatch", help="send every due outbox message once, then exit (for cron)",
                        description="One dispatcher pass: send what is due, print what happened.",
                        epilog=_reads(*READS["dispatch"]))
    db = commands.add_parser("db", help="database commands", description="Database maintenance.",
                             epilog=_reads(*READS["db"]))
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations up to the latest",
                           description="Apply every pending migration to DATABASE_URL.",
                           epilog=_reads(*READS["db"]))
    triage = commands.add_parser("triage", help="answer the /fit questionnaire (or diagnose an engagement) here",
                                 description="Ask the /fit questions here (or read them from a file) and print "
                                             "the recommendation. Needs no Slack workspace or database.",
                                 epilog=_reads())
    export = commands.add_parser("export", help="write every triage or plan as CSV or JSON (for reporting)",
                                 description="Write every stored triage or onboarding plan to standard output, "
                                             "streamed (constant memory). docs/operations.md lists the columns.",
                                 epilog=_reads(*READS["db"]))
    export.add_argument("what", choices=("triages", "plans"), metavar="triages|plans", help="what to export")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    export.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="only rows created on or after this day (UTC)")
    export.add_argument("--team", metavar="TEAM_ID", help="only this workspace's rows")
    triage.add_argument("--answers", type=Path, metavar="FILE",
                        help="YAML or JSON file mapping question ids to answers (see docs/triage.md)")
    triage.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    triage.add_argument("--diagnose", action="store_true",
                        help="look back at an engagement that went wrong instead: was the model or the setup "
                             "wrong, what to change, which model to use now (--answers then takes a diagnosis "
                             "file, see docs/triage.md)")
    args = parser.parse_args(argv)

    from sqlalchemy.exc import OperationalError

    from bot.startup import StartupError

    try:
        return _run(args)
    except (SettingsError, DataFileError, StartupError) as exc:
        print(f"fitbot {args.command}: cannot start:\n{_indent(str(exc))}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(f"fitbot {args.command}: cannot start:\n  DATABASE_URL: cannot use the database ({reason}).",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "triage":
        from bot.terminal import AnswersFileError, run
        from bot.triage import diagnosis, questionnaire

        if sys.stdin.isatty():
            import readline  # noqa: F401  (line editing and history for input())
        # With --json, stdout is the JSON alone (`fitbot triage --json > acme.json`): questions go to stderr.
        asking, read = (sys.stderr, _read_after_stderr_prompt) if args.json else (sys.stdout, input)
        try:
            if args.diagnose:
                from bot import terminal_diagnosis

                questions = questionnaire.load()
                return terminal_diagnosis.run(diagnosis.load(), questions, args.answers, args.json, sys.stdout, read,
                                              asking)
            return run(questionnaire.load(), args.answers, args.json, sys.stdout, read, asking)
        except AnswersFileError as exc:
            print(f"fitbot triage: {exc}", file=sys.stderr)
            return 2
        except EOFError:
            print("\nfitbot triage: input ended before every question was answered", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nfitbot triage: stopped; nothing was saved.", file=sys.stderr)
            return 130

    purpose = "db" if args.command in ("db", "export") else args.command
    settings = load_settings(purpose)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_level != "DEBUG":  # a line per tick, and "skipped: already running" under backlog, are noise
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at import
    if args.command == "db":
        from storage.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "export":
        return _export(settings.database_url, args)
    from bot.serve import open_dispatcher, serve

    if args.command == "serve":
        return serve(settings)
    from bot.slack_client import delivery_client
    from bot.startup import wait_for_slack

    # As in serve: a token Slack rejects must never reach the dispatcher, which would take it for a workspace
    # that uninstalled fitbot and pause its plans. A cron run doesn't wait for Slack: the next run will.
    wait_for_slack(delivery_client(settings), patience=0)
    dispatcher = open_dispatcher(settings)
    result = dispatcher.run_pass()
    dispatcher.close()
    dispatcher.db.close()
    print(f"sent {result.sent}, retrying {result.retried}, failed {result.failed}")
    return 1 if result.failed else 0


def _read_after_stderr_prompt(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return input()


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def _export(database_url: str, args: argparse.Namespace) -> int:
    from bot.export import write
    from bot.startup import StartupError
    from storage import export
    from storage.db import Database
    from storage.migrate import unmigrated

    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)  # stderr: the row count alone
    db = Database(database_url)  # connects on first use: unmigrated() looks for a SQLite file before that
    try:
        if problem := unmigrated(db):  # export only reads: it never creates or migrates a database
            raise StartupError(f"DATABASE_URL: {problem}.")
        with db.read() as session:
            rows, columns = ((export.triages, export.TRIAGE_COLUMNS) if args.what == "triages"
                             else (export.plans, export.PLAN_COLUMNS))
            count = write(rows(session, since=args.since, team_id=args.team), columns, args.format, sys.stdout)
    finally:
        db.close()
    print(f"exported {count} {args.what[:-1] if count == 1 else args.what}", file=sys.stderr)
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if not line.startswith("  ") else line for line in text.splitlines())
