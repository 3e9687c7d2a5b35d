"""The recommendation engine: answers in, engagement model with reasons, risks and next steps out.

Pure and deterministic: the same answers and date give the same recommendation. Points come from
the questionnaire file; the risks below are the failure modes the framework warns about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.triage.engagements import ENGAGEMENTS
from bot.triage.overlap import Overlap, overlaps
from bot.triage.questionnaire import Questionnaire

# Hours of shared working time below which real-time collaboration suffers.
MIN_REALTIME_OVERLAP = 4.0
HIGH_MARGIN = 5
MEDIUM_MARGIN = 2


@dataclass(frozen=True)
class Risk:
    key: str
    title: str
    detail: str


@dataclass(frozen=True)
class Recommendation:
    model: str
    model_name: str
    summary: str
    confidence: str
    scores: Mapping[str, int]
    reasons: tuple[str, ...]
    risks: tuple[Risk, ...]
    next_steps: tuple[str, ...]
    overlap: tuple[Overlap, ...]


def recommend(questionnaire: Questionnaire, answers: Mapping[str, str | None], on: date) -> Recommendation:
    """Score each model from the chosen options, drop excluded ones, explain the winner."""
    scores = dict.fromkeys(ENGAGEMENTS, 0)
    excluded: set[str] = set()
    chosen = []
    for q in questionnaire.questions:
        option = q.option(answers.get(q.id) or "") if q.kind == "choice" else None
        if option is None:
            continue
        chosen.append(option)
        for model, points in option.scores.items():
            scores[model] += points
        excluded.update(option.excludes)

    # Ties go to the model listed first in ENGAGEMENTS, so the result never depends on dict luck.
    ranked = sorted((m for m in ENGAGEMENTS if m not in excluded), key=lambda m: -scores[m])
    model = ranked[0]
    margin = scores[model] - scores[ranked[1]] if len(ranked) > 1 else HIGH_MARGIN
    confidence = "high" if margin >= HIGH_MARGIN else "medium" if margin >= MEDIUM_MARGIN else "low"
    contradicted = any(o.scores.get(model, 0) <= -2 for o in chosen) or any(
        scores[m] > scores[model] for m in excluded
    )
    if confidence == "high" and contradicted:
        # An answer argues hard against the winner (or ruled out a model that scored higher): changing
        # that one answer could change the call, so don't claim high confidence.
        confidence = "medium"

    backing = sorted((o for o in chosen if o.reason and o.scores.get(model, 0) > 0),
                     key=lambda o: -o.scores.get(model, 0))
    zone = answers.get("timezone") or "America/New_York"
    hours = tuple(overlaps(zone, on))
    reasons = [o.reason for o in backing if o.reason]
    best_nearshore = max(o.hours for o in hours if o.nearshore)
    if model == "staff_augmentation" and best_nearshore >= MIN_REALTIME_OVERLAP:
        reasons.append(
            f"Latin American engineers share up to {best_nearshore:g} working hours a day with the client's team, "
            "enough for stand-ups, reviews and pairing."
        )
    engagement = ENGAGEMENTS[model]
    return Recommendation(
        model=model,
        model_name=engagement.name,
        summary=engagement.summary,
        confidence=confidence,
        scores=scores,
        reasons=tuple(reasons),
        risks=tuple(_risks(model, answers, hours)),
        next_steps=engagement.next_steps,
        overlap=hours,
    )


def _risks(model: str, answers: Mapping[str, str | None], hours: tuple[Overlap, ...]) -> list[Risk]:
    a = {k: (v or "") for k, v in answers.items()}
    risks: list[Risk] = []
    if a.get("leadership") == "nobody":
        risks.append(Risk(
            "no_direction",
            "No one to direct the work",
            "Without a technical leader on the client side, nobody sets priorities, reviews the output or gives "
            "feedback. Whatever model is chosen, plan who fills that seat.",
        ))
    if model == "outsourcing":
        risks.append(Risk(
            "handoff",
            "The handoff problem",
            "A vendor can deliver exactly to spec and still leave code the client's team cannot run or extend. "
            "Budget for documentation, code reviews by a client engineer during delivery, and a handover period.",
        ))
    if model == "staff_augmentation" and a.get("onboarding") in ("contractor", "partial"):
        risks.append(Risk(
            "contractor_onboarding",
            "Contractor-style onboarding",
            "Engineers handed a ticket queue without context, introductions or feedback deliver a contractor's "
            "results, however capable. Agree a new-hire style onboarding plan before the start date.",
        ))
    if model == "staff_augmentation" and a.get("work_definition") == "exploring":
        risks.append(Risk(
            "undefined_work",
            "Headcount before a plan",
            "The client is still deciding what to build. An embedded engineer needs real priorities from the "
            "first week; agree a short roadmap before the start date, or run a discovery first.",
        ))
    if a.get("requirements_change") in ("evolving", "unknown") and (
        model == "outsourcing" or a.get("work_definition") == "fixed_scope"
    ):
        risks.append(Risk(
            "changing_requirements",
            "Changing requirements under a fixed scope",
            "A fixed-scope contract assumes the spec holds. If it moves, every change becomes a renegotiation "
            "and the delivered code fits last quarter's plan.",
        ))
    offshore_short = [o for o in hours if not o.nearshore and o.hours < MIN_REALTIME_OVERLAP]
    if model == "outsourcing" and a.get("collaboration") in ("realtime", "some") and offshore_short:
        names = ", ".join(f"{o.region} {o.hours:g} h" for o in offshore_short)
        risks.append(Risk(
            "timezone_gap",
            "Offshore timezone gap",
            f"This team wants regular live contact, but offshore vendors barely share its workday ({names}). "
            "Pick a vendor in an overlapping timezone or design the handoff to be fully asynchronous.",
        ))
    best_nearshore = max(o.hours for o in hours if o.nearshore)
    if a.get("collaboration") == "realtime" and best_nearshore < MIN_REALTIME_OVERLAP:
        risks.append(Risk(
            "thin_overlap",
            "Thin overlap even with Latin America",
            f"The client's team shares at most {best_nearshore:g} working hours a day with Latin America; "
            "agree core hours for stand-ups and reviews up front.",
        ))
    if a.get("previous_engagement") == "augmentation_no_direction":
        risks.append(Risk(
            "repeat_management_gap",
            "The last placement lacked management",
            "Placing another engineer into the same structure will likely fail the same way. Fix the management "
            "gap first; the same calibre of engineer then performs very differently.",
        ))
    return risks
