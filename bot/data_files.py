"""fitbot's policy files (questionnaire, checklist, diagnosis lessons, pulse): reading them, and the error
that names every problem in one, field by field, so a bad edit stops start-up with a list, not a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A policy file is wrong; `problems` holds one line per problem. Each file has its own subclass."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


def read_yaml(path: Path, error: type[DataFileError]) -> Any:
    """The file's contents, or `error` naming the file and why it can't be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(str(path), [f"cannot be read: {exc}"]) from exc
