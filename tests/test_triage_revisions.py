"""Revisions under concurrency: edits of one triage racing (on PostgreSQL, from separate connections) each
land as their own revision, none losing another's answers, and each queues one update of the message."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.record_triage import record_triage, revise_triage
from bot.triage import questionnaire
from bot.triage.engine import client_today, recommend
from storage.models import OutboxMessage, Triage, TriageRevision
from storage.triages import Workspace, record_message
from storage.writes import run_together

Q = questionnaire.load()
WS = Workspace("T0001")
BASE = {"company": "Umbrella", "contact": None, "leadership": "head_of_engineering", "need_shape": "mixed",
        "skills": None, "onboarding": "new_hire", "work_definition": "exploring", "requirements_change": "unknown",
        "collaboration": "realtime", "timezone": "America/Denver", "previous_engagement": None}
# Eight people each change a different answer, all starting from revision 1.
EDITS = {"contact": "Kim Lee, CTO", "skills": "Rails and React", "leadership": "senior_engineer",
         "onboarding": "partial", "work_definition": "roadmap", "requirements_change": "stable",
         "collaboration": "some", "timezone": "America/New_York"}


def test_racing_edits_each_land_as_a_revision_and_keep_every_change(db):
    record_triage(db, Q, WS, view_id="V0", channel_id="C1", user_id="U0", answers=BASE,
                  recommendation=recommend(Q, BASE, on=client_today(BASE)))
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    start = threading.Barrier(len(EDITS))
    results, failures = [], []

    def edit(n: int, question: str, value: str) -> None:
        start.wait()
        try:
            results.append(revise_triage(db, Q, WS, triage_id=triage_id, base=1, view_id=f"VE{n}", user_id=f"U{n}",
                                         submitted={**BASE, question: value}))
        except Exception as exc:  # reported below, with the others' outcome
            failures.append(exc)

    threads = [threading.Thread(target=edit, args=(n, q, v)) for n, (q, v) in enumerate(EDITS.items(), 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert sorted(r.number for r in results) == list(range(2, 2 + len(EDITS)))
    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        numbers = list(s.scalars(select(TriageRevision.number).order_by(TriageRevision.number)))
        updates = s.scalar(select(func.count()).where(OutboxMessage.kind == "triage_update"))
    assert numbers == list(range(1, 2 + len(EDITS)))
    assert triage.revision == 1 + len(EDITS)
    assert {q: triage.answers[q] for q in EDITS} == EDITS  # no edit lost another's answer
    assert updates == len(EDITS)
    assert sum(r.merged_over is not None for r in results) == len(EDITS) - 1  # all but the first raced


def test_the_same_form_twice_is_one_revision(db):
    record_triage(db, Q, WS, view_id="V0", channel_id="C1", user_id="U0", answers=BASE,
                  recommendation=recommend(Q, BASE, on=client_today(BASE)))
    with db.unit_of_work() as s:
        triage_id = s.scalars(select(Triage.id)).one()
    edit = {**BASE, "onboarding": "partial"}
    first = revise_triage(db, Q, WS, triage_id=triage_id, base=1, view_id="VE", user_id="U1", submitted=edit)
    again = revise_triage(db, Q, WS, triage_id=triage_id, base=1, view_id="VE", user_id="U1", submitted=edit)
    assert (first.number, again) == (2, None)


def test_recording_where_the_message_went_is_not_a_change_of_the_triage(db):
    """The Home tab lists open triages by when their answers last changed; the dispatcher recording a
    message's ts (in whatever order it sends) must not reorder them."""
    record_triage(db, Q, WS, view_id="V0", channel_id="C1", user_id="U0", answers=BASE,
                  recommendation=recommend(Q, BASE, on=client_today(BASE)))
    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        triage_id, changed = triage.id, triage.updated_at
    with db.engine.begin() as conn:  # as the dispatcher records a sent row
        run_together(conn, [record_message(triage_id, "C1", "1700000000.000100")])
    with db.unit_of_work() as s:
        triage = s.scalars(select(Triage)).one()
        assert (triage.message_ts, triage.updated_at) == ("1700000000.000100", changed)
