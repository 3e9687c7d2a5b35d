"""The recommendation engine: answers in, an engagement model with its case for and against out.

Pure and deterministic: the same answers and date give the same recommendation. The decision reads
like the framework's reasoning (docs/triage.md):

1. Each model's conditions (questionnaire.yml) are checked. A missing condition rules the model out,
   whatever its points; a weak one argues against it and is shown with its fix.
2. If the model with most points is ruled out, the client gets what its first missing condition
   names instead (a fractional CTO when nobody can direct engineers, discovery when the work is
   undecided, …). Otherwise points pick among the models that remain, except between the models
   augmentation's missing conditions send the client to: there, too, the first missing one decides.
3. Confidence starts high and drops a step for each doubt: a near tie, an answer against the call,
   a "too early to say" answer, an unanswered optional question, a contradiction.
4. "What would change the answer" is the smallest set of answer changes (one, else two) that makes
   each other model the recommendation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import combinations
from zoneinfo import ZoneInfo

from bot.triage.engagements import ENGAGEMENTS, PLACEMENT
from bot.triage.overlap import Overlap, overlaps
from bot.triage.questionnaire import OVERLAP_KEY, Condition, Option, Question, Questionnaire, Verdict

# Hours of shared working time the overlap reason and the thin-overlap risk are measured against.
MIN_REALTIME_OVERLAP = 4.0
# A runner-up this many points behind (or closer) is a near tie.
NEAR_TIE = 2
CONFIDENCE = ("low", "medium", "high")
DEFAULT_ZONE = "America/New_York"


@dataclass(frozen=True)
class Risk:
    key: str
    title: str
    detail: str


@dataclass(frozen=True)
class Finding:
    """An answer that argues against a model (weak) or rules it out (missing)."""

    condition: str
    model: str
    title: str
    state: str
    question: str
    answer: str
    answer_label: str
    because: str
    fix: str
    instead: str | None = None


@dataclass(frozen=True)
class RuledOut:
    """A model that fitted better on points, and the conditions it lacks."""

    model: str
    model_name: str
    missing: tuple[Finding, ...]


@dataclass(frozen=True)
class Change:
    question: str
    answer: str
    text: str


@dataclass(frozen=True)
class WhatIf:
    model: str
    model_name: str
    changes: tuple[Change, ...]

    @property
    def sentence(self) -> str:
        return f"{self.model_name} if {', and '.join(c.text for c in self.changes)}."


@dataclass(frozen=True)
class Recommendation:
    model: str
    model_name: str
    summary: str
    confidence: str
    confidence_notes: tuple[str, ...]
    scores: Mapping[str, int]
    ruled_out: tuple[RuledOut, ...]
    reasons: tuple[str, ...]
    against: tuple[Finding, ...]
    what_if: tuple[WhatIf, ...]
    risks: tuple[Risk, ...]
    next_steps: tuple[str, ...]
    overlap: tuple[Overlap, ...]


@dataclass(frozen=True)
class _Decision:
    model: str
    by_points: bool  # False when a missing condition decided (the better fit on points was ruled out)
    ruled_out: tuple[RuledOut, ...]
    scores: Mapping[str, int]
    findings: Mapping[str, tuple[Finding, ...]]


def recommend(questionnaire: Questionnaire, answers: Mapping[str, str | None], on: date) -> Recommendation:
    hours = tuple(overlaps(answers.get("timezone") or DEFAULT_ZONE, on))
    decision = _decide(questionnaire, answers, hours)
    model = decision.model
    against = tuple(f for f in decision.findings[model] if f.state == "weak")
    engagement = ENGAGEMENTS[model]
    confidence, doubts = _confidence(questionnaire, answers, decision, against)
    return Recommendation(
        model=model,
        model_name=engagement.name,
        summary=engagement.summary,
        confidence=confidence,
        confidence_notes=doubts,
        scores=decision.scores,
        ruled_out=decision.ruled_out,
        reasons=tuple(_reasons(questionnaire, answers, decision, against, hours)),
        against=against,
        what_if=tuple(_what_if(questionnaire, answers, hours, model)),
        risks=tuple(_risks(model, answers, hours)),
        next_steps=_next_steps(decision),
        overlap=hours,
    )


def client_today(answers: Mapping[str, str | None]) -> date:
    """Today in the client's timezone: the day the working-hour overlap is computed for."""
    return datetime.now(ZoneInfo(answers.get("timezone") or DEFAULT_ZONE)).date()


def model_needed(questionnaire: Questionnaire, answers: Mapping[str, str | None], model: str,
                 on: date) -> tuple[str, tuple[RuledOut, ...], tuple[Finding, ...]]:
    """`model`, or what the client needs instead when the known answers leave it a missing condition; what
    ruled the others out; and the known answers that argue against the model needed (its weak findings).
    Unanswered questions count as met: this checks what is known, it doesn't rank."""
    hours = tuple(overlaps(answers.get("timezone") or DEFAULT_ZONE, on)) if answers.get("timezone") else ()
    findings = _all_findings(questionnaire, answers, hours)
    needed, ruled_out = _follow(model, findings)
    return needed, ruled_out, tuple(f for f in findings[needed] if f.state == "weak")


def _decide(questionnaire: Questionnaire, answers: Mapping[str, str | None],
            hours: Sequence[Overlap]) -> _Decision:
    scores = dict.fromkeys(ENGAGEMENTS, 0)
    for _, option in _chosen(questionnaire, answers):
        for model, points in option.scores.items():
            scores[model] += points
    findings = _all_findings(questionnaire, answers, hours)
    ranked = questionnaire.ranked_models or tuple(ENGAGEMENTS)
    best = _best(ranked, scores)  # ties go to the order in ENGAGEMENTS, never to dict luck
    model, ruled_out = _follow(best, findings)
    if _missing(findings[model]):  # `instead` led nowhere open: points pick among what remains
        open_models = [m for m in ranked if not _missing(findings[m])] or list(ranked)
        model = _best(open_models, scores)
    by_points = not ruled_out
    if by_points and model in {f.instead for f in _missing(findings[PLACEMENT])}:
        # Points picked one of the models augmentation's missing conditions send the client to: as when
        # augmentation leads on points, the first of them in the file's order decides which comes first.
        first, first_ruled_out = _follow(PLACEMENT, findings)
        if not _missing(findings[first]):
            model, ruled_out, by_points = first, first_ruled_out, False
    if model != PLACEMENT and PLACEMENT not in {r.model for r in ruled_out} and _missing(findings[PLACEMENT]):
        # The client asked for engineers: when augmentation can't be had, always say why.
        ruled_out = (RuledOut(PLACEMENT, ENGAGEMENTS[PLACEMENT].name, _missing(findings[PLACEMENT])), *ruled_out)
    return _Decision(model, by_points, ruled_out, scores, findings)


def _follow(model: str, findings: Mapping[str, tuple[Finding, ...]]) -> tuple[str, tuple[RuledOut, ...]]:
    """From `model`, take each first missing condition's `instead` until a model has none missing."""
    ruled_out: list[RuledOut] = []
    seen = {model}
    while missing := _missing(findings[model]):
        ruled_out.append(RuledOut(model, ENGAGEMENTS[model].name, missing))
        instead = missing[0].instead
        if instead is None or instead in seen:
            break
        seen.add(instead)
        model = instead
    return model, tuple(ruled_out)


def _best(models: Sequence[str], scores: Mapping[str, int]) -> str:
    return max(models, key=lambda m: (scores[m], -list(ENGAGEMENTS).index(m)))


def _missing(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.state == "missing")


def _chosen(questionnaire: Questionnaire, answers: Mapping[str, str | None]) -> list[tuple[Question, Option]]:
    chosen = []
    for q in questionnaire.questions:
        option = q.option(answers.get(q.id) or "") if q.kind == "choice" else None
        if option is not None:
            chosen.append((q, option))
    return chosen


def _all_findings(questionnaire: Questionnaire, answers: Mapping[str, str | None],
                  hours: Sequence[Overlap]) -> dict[str, tuple[Finding, ...]]:
    return {m: tuple(_findings(questionnaire, answers, m, hours)) for m in ENGAGEMENTS}


def _findings(questionnaire: Questionnaire, answers: Mapping[str, str | None], model: str,
              hours: Sequence[Overlap]) -> list[Finding]:
    """One finding per answer: a zone with no shared hours is one finding, not one per overlap condition. A
    missing verdict outranks a weak one (a prerequisite is never hidden); among equals the file's order decides."""
    found: dict[str, Finding] = {}
    for condition in questionnaire.conditions:
        if condition.model == model:
            finding = _check(questionnaire, condition, answers, hours)
            kept = found.get(finding.question) if finding else None
            if finding and (kept is None or (kept.state == "weak" and finding.state == "missing")):
                found[finding.question] = finding
    return list(found.values())


def _check(questionnaire: Questionnaire, c: Condition, answers: Mapping[str, str | None],
           hours: Sequence[Overlap]) -> Finding | None:
    if c.overlap is not None:
        return _check_overlap(questionnaire, c, answers, hours)
    assert c.question is not None
    value = answers.get(c.question) or ""
    for state, verdicts in (("missing", c.missing), ("weak", c.weak)):
        if value in verdicts:
            label = questionnaire.question(c.question).option(value)
            return _finding(c, state, c.question, value, label.label if label else value, verdicts[value])
    return None


def _check_overlap(questionnaire: Questionnaire, c: Condition, answers: Mapping[str, str | None],
                   hours: Sequence[Overlap]) -> Finding | None:
    rule = c.overlap
    assert rule is not None
    nearshore = [o for o in hours if o.nearshore]
    if not nearshore or any((answers.get(q) or "") not in values for q, values in rule.when.items()):
        return None
    best = max(nearshore, key=lambda o: o.hours)  # first listed wins a tie
    for state, below, verdicts in (("missing", rule.missing_below, c.missing), ("weak", rule.weak_below, c.weak)):
        if below is not None and best.hours < below:
            verdict = verdicts[OVERLAP_KEY]
            fill = {"hours": f"{best.hours:g}", "region": best.region}
            zone = answers.get("timezone") or DEFAULT_ZONE
            option = questionnaire.question("timezone").option(zone)
            label = f"{option.label if option else zone}: {best.hours:g} h shared with Latin America"
            filled = Verdict(verdict.because.format(**fill), verdict.fix.format(**fill), verdict.instead)
            return _finding(c, state, "timezone", zone, label, filled)
    return None


def _finding(c: Condition, state: str, question: str, answer: str, label: str, verdict: Verdict) -> Finding:
    return Finding(c.id, c.model, c.title, state, question, answer, label, verdict.because, verdict.fix,
                   verdict.instead)


def _reasons(questionnaire: Questionnaire, answers: Mapping[str, str | None], decision: _Decision,
             against: Sequence[Finding], hours: Sequence[Overlap]) -> list[str]:
    """What backs the call: the missing conditions that decided it, then each answer that gave the model
    points (strongest first), never an answer that also argues against it."""
    model = decision.model
    said = {(f.question, f.answer) for r in decision.ruled_out for f in r.missing}
    said |= {(f.question, f.answer) for f in against}
    backing = [(q, o) for q, o in _chosen(questionnaire, answers)
               if o.reason and o.scores.get(model, 0) > 0 and (q.id, o.value) not in said]
    backing.sort(key=lambda qo: -qo[1].scores.get(model, 0))
    reasons = [o.reason for _, o in backing if o.reason]
    if decision.ruled_out and not decision.by_points:
        # The model whose missing condition sent the client here, not one listed only to explain it.
        deciding = next((r for r in reversed(decision.ruled_out) if r.missing[0].instead == model),
                        decision.ruled_out[-1])
        lacking = "; ".join(f.title[0].lower() + f.title[1:] for f in deciding.missing)
        reasons.insert(0, f"{deciding.model_name} is ruled out for want of: {lacking} (see Why not).")
    nearshore = [o.hours for o in hours if o.nearshore]
    overlap_found = any(f.question == "timezone" for f in decision.findings[model])
    if model == PLACEMENT and nearshore and not overlap_found and max(nearshore) >= MIN_REALTIME_OVERLAP:
        reasons.append(
            f"Latin American engineers share up to {max(nearshore):g} working hours a day with the client's team, "
            "enough for the team's stand-ups and reviews."
        )
    return reasons


def _confidence(questionnaire: Questionnaire, answers: Mapping[str, str | None], decision: _Decision,
                against: Sequence[Finding]) -> tuple[str, tuple[str, ...]]:
    """High, less one step per doubt; the notes say what each doubt is."""
    notes: list[str] = []
    scores, model = decision.scores, decision.model
    if decision.by_points:
        others = [m for m in questionnaire.ranked_models if m != model and not _missing(decision.findings[m])]
        if others:
            runner = _best(others, scores)
            if scores[model] - scores[runner] <= NEAR_TIE:
                notes.append(f"{ENGAGEMENTS[runner].name} is close behind on points "
                             f"({scores[model]} to {scores[runner]}).")
    notes += [f"“{f.answer_label}” argues against it (see Against)." for f in against]
    counted = {(f.question, f.answer) for f in against}
    for q, option in _chosen(questionnaire, answers):
        if option.unsure and (q.id, option.value) not in counted:
            notes.append(f"“{option.label}” for “{q.label}” leaves part of the picture open.")
    unanswered = [q for q in questionnaire.questions if q.kind == "choice" and not q.required
                  and q.option(answers.get(q.id) or "") is None]
    notes += [f"Not answered: “{q.label}”" for q in unanswered]
    for c in questionnaire.contradictions:
        if all(answers.get(q) == v for q, v in c.when.items()):
            notes.append(c.note)
    return CONFIDENCE[max(0, len(CONFIDENCE) - 1 - len(notes))], tuple(notes)


def _what_if(questionnaire: Questionnaire, answers: Mapping[str, str | None], hours: Sequence[Overlap],
             model: str) -> list[WhatIf]:
    """For each other model, the smallest set of changes (one answer, else two) that recommends it.

    Only answers the client could change are varied (not the timezone or past engagements), and never
    into "too early to say". Of several sets of the same size, the one that gives the new model most
    points wins (the changes that argue for it, not ones that merely knock the others out); ties go to
    the questionnaire's order, so the result is the same every time.
    """
    changes = [Change(q.id, o.value, o.as_change or "") for q in questionnaire.questions if q.what_if
               for o in q.options if not o.unsure and o.as_change and o.value != (answers.get(q.id) or "")]
    found: dict[str, tuple[int, tuple[Change, ...]]] = {}
    for size in (1, 2):
        reached: dict[str, tuple[int, tuple[Change, ...]]] = {}
        for combo in combinations(changes, size):
            if len({c.question for c in combo}) < size:
                continue
            decision = _decide(questionnaire, {**answers, **{c.question: c.answer for c in combo}}, hours)
            target, points = decision.model, decision.scores[decision.model]
            if target != model and target not in found and (target not in reached or points > reached[target][0]):
                reached[target] = (points, combo)
        found.update(reached)
        if len(found) == len(ENGAGEMENTS) - 1:
            break
    return [WhatIf(m, ENGAGEMENTS[m].name, found[m][1]) for m in ENGAGEMENTS if m in found]


def _next_steps(decision: _Decision) -> tuple[str, ...]:
    """What comes first (the fixes of the conditions that ruled the better fit out), then the model's own steps.
    When points decided, a model ruled out is only explained, not a step: its fixes don't lead to this call."""
    steps = [] if decision.by_points else [f.fix for r in decision.ruled_out for f in r.missing]
    steps += ENGAGEMENTS[decision.model].next_steps
    return tuple(dict.fromkeys(steps))


def _risks(model: str, answers: Mapping[str, str | None], hours: Sequence[Overlap]) -> list[Risk]:
    """The framework's failure modes that these answers and this model run into."""
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
            "A vendor can deliver exactly to spec and still leave code the client's team cannot run or extend, "
            "and by then the vendor has moved on.",
        ))
    if model == PLACEMENT and a.get("onboarding") in ("contractor", "partial", "not_discussed"):
        risks.append(Risk(
            "contractor_onboarding",
            "Contractor-level results",
            "Engineers brought in without context, introductions, ramp time or feedback deliver a contractor's "
            "results, however capable they are.",
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
    nearshore = [o.hours for o in hours if o.nearshore]
    if a.get("collaboration") == "realtime" and nearshore and max(nearshore) < MIN_REALTIME_OVERLAP:
        risks.append(Risk(
            "thin_overlap",
            "Thin overlap even with Latin America",
            f"The client's team shares at most {max(nearshore):g} h of the working day with Latin America, "
            "too little for daily stand-ups, pairing and same-day reviews.",
        ))
    if a.get("previous_engagement") == "augmentation_no_direction":
        risks.append(Risk(
            "repeat_management_gap",
            "The last placement lacked management",
            "Placing another engineer into the same structure will likely fail the same way; the same calibre "
            "of engineer performs very differently once the management gap is closed.",
        ))
    return risks
