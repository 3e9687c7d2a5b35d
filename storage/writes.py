"""Writes collected from many rows and run together: one executemany per statement, not one call per row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable

from storage.upsert import Executor


@dataclass(frozen=True)
class Write:
    statement: Executable  # built once (module level or cached), so equal writes share it
    params: Mapping[str, Any]


def run_together(executor: Executor, writes: Iterable[Write]) -> None:
    """Run `writes` in the executor's transaction, grouped by statement, in the order each statement first appears."""
    grouped: dict[int, tuple[Executable, list[Mapping[str, Any]]]] = {}
    for write in writes:
        grouped.setdefault(id(write.statement), (write.statement, []))[1].append(write.params)
    for statement, params in grouped.values():
        executor.execute(statement, params)
