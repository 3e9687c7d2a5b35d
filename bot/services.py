"""What listeners need, handed to them through Bolt's context (see bot.app)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dispatcher import Dispatcher
from bot.triage.questionnaire import Questionnaire
from storage.db import Database


@dataclass(frozen=True)
class Services:
    db: Database
    questionnaire: Questionnaire
    dispatcher: Dispatcher
