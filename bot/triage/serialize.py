"""A recommendation as plain JSON-ready data: what `fitbot triage --json` prints and a triage row stores."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.triage.diagnosis import Diagnosis
from bot.triage.engine import Finding, Recommendation, RuledOut


def finding_dict(f: Finding) -> dict[str, Any]:
    return {"condition": f.condition, "title": f.title, "question": f.question, "answer": f.answer,
            "answer_label": f.answer_label, "because": f.because, "fix": f.fix}


def _ruled_out(ruled_out: tuple[RuledOut, ...]) -> list[dict[str, Any]]:
    return [{"model": o.model, "model_name": o.model_name, "missing": [finding_dict(f) for f in o.missing]}
            for o in ruled_out]


def explanation(r: Recommendation) -> dict[str, Any]:
    """The case for and against the call, beyond its reasons and risks."""
    return {
        "confidence_notes": list(r.confidence_notes),
        "ruled_out": _ruled_out(r.ruled_out),
        "against": [finding_dict(f) for f in r.against],
        "what_if": [{"model": w.model, "model_name": w.model_name, "sentence": w.sentence,
                     "changes": [{"question": c.question, "answer": c.answer} for c in w.changes]}
                    for w in r.what_if],
    }


def recommendation_dict(r: Recommendation) -> dict[str, Any]:
    return {
        "model": r.model, "model_name": r.model_name, "summary": r.summary, "confidence": r.confidence,
        "scores": dict(r.scores),
        **explanation(r),
        "reasons": list(r.reasons),
        "risks": [asdict(k) for k in r.risks],
        "next_steps": list(r.next_steps),
        "overlap": [{"region": o.region, "timezone": o.timezone, "nearshore": o.nearshore, "hours": o.hours}
                    for o in r.overlap],
    }


def diagnosis_dict(d: Diagnosis) -> dict[str, Any]:
    return {
        "model_used": d.model_used, "model_used_label": d.model_used_label,
        "symptoms": [{"value": s.value, "label": s.label} for s in d.symptoms], "other": d.other,
        "wrong": d.wrong, "verdict": d.verdict,
        "lessons": [{"symptom": x.symptom, "lesson": x.lesson, "change": x.change} for x in d.lessons],
        "use_now": d.use_now, "use_now_name": d.use_now_name, "ruled_out": _ruled_out(d.ruled_out),
        "watch_out": [finding_dict(f) for f in d.watch_out],
        "recommendation": recommendation_dict(d.recommendation) if d.recommendation else None,
        "not_the_lesson": d.not_the_lesson, "version": d.version,
    }
