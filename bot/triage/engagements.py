"""The engagement models fitbot can recommend, and what to do next for each."""

from __future__ import annotations

from dataclasses import dataclass

# The model that places an engineer: its recommendation offers to start an onboarding plan.
PLACEMENT = "staff_augmentation"


@dataclass(frozen=True)
class Engagement:
    key: str
    name: str
    summary: str
    next_steps: tuple[str, ...]


ENGAGEMENTS: dict[str, Engagement] = {
    e.key: e
    for e in (
        Engagement(
            key=PLACEMENT,
            name="Nearshore staff augmentation",
            summary="Place engineers inside the client's team, reporting to their engineering manager.",
            next_steps=(
                "Write the role with the client: stack, seniority, and the part of the product the engineer will own.",
                "Confirm who runs the engineer's 1:1s and code reviews, and when stand-ups happen.",
                "Agree the first-month plan (accounts, introductions, a first change to ship) before the start date.",
                "Shortlist Latin American candidates whose working hours overlap the client's.",
            ),
        ),
        Engagement(
            key="outsourcing",
            name="Project outsourcing",
            summary="Hand a defined scope to a delivery team that owns the process; the client accepts the result.",
            next_steps=(
                "Turn the scope into written acceptance criteria and a fixed delivery date.",
                "Name the client engineer who will review the code as it lands and own it afterwards.",
                "Put documentation and a handover period into the contract, not just the final delivery.",
                "Refer to a delivery partner: this is not a placement.",
            ),
        ),
        Engagement(
            key="consulting_first",
            name="Fractional CTO / consulting first",
            summary="A short consulting engagement (a fractional CTO, or shaping the goals into roles) "
                    "settles what is missing before anyone is hired.",
            next_steps=(
                "Scope the engagement around what is missing, with a named owner on the client side.",
                "Come out of it with a roadmap and concrete role descriptions.",
                "Settle who will manage engineers day to day once they arrive.",
                "Run /fit again when a leader and a role are in place.",
            ),
        ),
        Engagement(
            key="discovery_first",
            name="Discovery first",
            summary="Settle what to build with a short discovery before adding headcount.",
            next_steps=(
                "Offer a time-boxed discovery (two to four weeks) on product scope and architecture, with one "
                "decision-maker on the client side.",
                "Come out of it with a prioritised roadmap, the skills it calls for, and any piece settled enough "
                "to hand to a vendor.",
                "Run /fit again with that roadmap; augmentation is likely to fit then.",
            ),
        ),
        Engagement(
            key="refer_elsewhere",
            name="Refer to an in-region partner",
            summary="The client's working day barely meets Latin America's, or not at all; engineers who join its "
                    "team need to be in or near its own timezone.",
            next_steps=(
                "If part of the work can be specified and handed over, a delivery team built around the time "
                "difference can take it: run /fit again for that part.",
                "For engineers who join the team, refer the client to a partner that places engineers in its region.",
            ),
        ),
    )
}
