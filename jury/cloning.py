"""What the jury copies when a contest is made from last year's (a hook of contest.cloning):
its settings, not its work. The staff domain and the rating criteria go over; rounds,
jurors, tasks, votes, ballots, notes and recusals stay with last year's contest."""

from __future__ import annotations

from contest.cloning import CloneContext
from jury.models import Panel, Round


def criteria_of(*, contest_id: int) -> list[dict[str, object]]:
    """The contest's rating criteria: its panel's, else those of its latest rating round."""
    panel = Panel.objects.filter(contest_id=contest_id).first()
    if panel is not None and panel.criteria:
        return list(panel.criteria)
    latest = (
        Round.objects.filter(contest_id=contest_id, kind=Round.Kind.RATING)
        .exclude(criteria=[])
        .order_by("-number")
        .values_list("criteria", flat=True)
        .first()
    )
    return list(latest or [])


def contest_cloned(context: CloneContext) -> None:
    panel = Panel.objects.filter(contest=context.source).first()
    criteria = criteria_of(contest_id=context.source.pk)
    if panel is None and not criteria:
        return
    Panel.objects.create(
        contest=context.copy,
        staff_domain=panel.staff_domain if panel else "",
        criteria=criteria,
    )
