"""A person's standing against the 好 line, and the phone-sized summary of /me and the
private quarter result: a short headline, then the breakdown as short lines.

The full explanation (`core.scoring.explain`) stays what `kaohe score --explain` prints
and what the 「查看明细」 button sends.

The 好 line of a ranking group is the score of the last person graded 好 in it (grading
fills the quota top down, core.grading). Someone outside it is short of that score; at the
same score they lost the tiebreak (fewer errors, more likes, higher filing rate, roster),
so they are short by nothing but the tiebreak. When the quota is not filled (nobody else
reached the 好 minimum score), the line is that minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from core.grades import Grade
from core.policy import Component
from core.rounding import HUNDRED, ZERO, arithmetic, to_decimal
from core.scoring import PersonResult, QuarterResult

ALMOST_ONE = Decimal("0.999")  # nominal weights are kept to 4 decimals


class Place(Enum):
    """Where a person stands against the 好 line of their group."""

    INSIDE = "inside"  # graded 好
    SHORT = "short"  # below the line by `gap` points (gap 0: lost the tiebreak)
    NO_QUOTA = "no_quota"  # the group has no 好 places
    BARRED = "barred"  # a veto or a grade cap: 好 is out of reach whatever the score
    NOT_SHORTLISTED = "not_shortlisted"  # above the minimum, outside the shortlist
    UNDETERMINED = "undetermined"  # 不定等次: not graded


@dataclass(frozen=True, slots=True)
class Standing:
    """The person's place against the 好 line: the group's quota, their rank, the line
    (the score to pass, None when there is none) and how far below it they are."""

    place: Place
    quota: int
    rank: int
    line: Decimal | None = None
    gap: Decimal | None = None
    minimum: bool = False  # the line is the 好 minimum score (the quota is not filled)


def standing(result: QuarterResult, person_id: int, good_min: Decimal) -> Standing:
    """The person's standing in their ranking group; KeyError if they were not scored."""
    me = result.person(person_id)
    return _place(me, _quotas(result).get(me.group, 0), _good_scores(result, me.group), good_min)


def standings(result: QuarterResult, good_min: Decimal) -> dict[int, Standing]:
    """Everyone's standing, by person id (one pass per group, not per person)."""
    quotas = _quotas(result)
    good: dict[str, list[Decimal]] = {}
    for p in result.people:
        good.setdefault(p.group, [])
        if p.grade is Grade.GOOD and not p.undetermined:
            good[p.group].append(p.score)
    return {
        p.person_id: _place(p, quotas.get(p.group, 0), good[p.group], good_min)
        for p in result.people
    }


def _quotas(result: QuarterResult) -> dict[str, int]:
    return {g.group: g.good_quota for g in result.groups}


def _good_scores(result: QuarterResult, group: str) -> list[Decimal]:
    return [
        p.score
        for p in result.people
        if p.group == group and p.grade is Grade.GOOD and not p.undetermined
    ]


def _place(me: PersonResult, quota: int, good: list[Decimal], good_min: Decimal) -> Standing:
    if me.undetermined:
        return Standing(Place.UNDETERMINED, quota, me.rank)
    if me.grade is Grade.GOOD:
        return Standing(Place.INSIDE, quota, me.rank)
    if me.vetoes or me.caps:
        return Standing(Place.BARRED, quota, me.rank)
    if quota == 0:
        return Standing(Place.NO_QUOTA, quota, me.rank)
    if len(good) >= quota:
        line = min(good)  # the last one inside
    elif me.score < good_min:
        line = good_min
    else:
        return Standing(Place.NOT_SHORTLISTED, quota, me.rank)
    gap = max(line - me.score, ZERO)
    return Standing(Place.SHORT, quota, me.rank, line, gap, minimum=len(good) < quota)


def headline(me: PersonResult, where: Standing) -> list[str]:
    """得分, 排名 in the group, 等次 (暂定 while provisional), and the 好 line in words."""
    provisional = "（暂定）" if me.provisional else ""
    lines = [f"得分：{me.score}分"]
    if where.place is Place.UNDETERMINED:
        return [*lines, f"等次：{me.grade_label}", me.grade_reason.removesuffix("，不定等次")]
    lines.append(f"排名：{me.group}第{me.rank}名（共{me.group_size}人）")
    lines.append(f"等次：{me.grade.label}{provisional}")
    if where.place is Place.INSIDE:
        lines.append(f"“好”等次名额{where.quota}人，你排第{where.rank}")
    elif where.place is Place.NO_QUOTA:
        lines.append("本组没有“好”等次名额")
    elif where.place is Place.SHORT and where.minimum and where.line is not None:
        gap, line = _num(where.gap or ZERO), _num(where.line)
        lines.append(f"差{gap}分达到“好”等次最低分{line}分")
    elif where.place is Place.SHORT and where.gap:
        lines.append(f"差{_num(where.gap)}分进入“好”等次（名额{where.quota}人）")
    elif where.place is Place.SHORT:
        lines.append(f"与“好”等次末位同分，按同分排序规则列其后（名额{where.quota}人）")
    else:  # a veto, a grade cap, outside the shortlist: the grading's own words
        lines.append(me.grade_reason)
    return lines


def short_breakdown(me: PersonResult) -> list[str]:
    """The breakdown as short lines: each component's points with its value and weight,
    each adjustment's points; what was left out and renormalised, once, in one line.
    The points shown sum exactly to the score (the lines left out carry 0 points)."""
    components = me.components
    lines = ["得分构成："]
    missing: list[str] = []
    for line, part in zip(me.breakdown, components, strict=False):
        if part.value is None:
            missing.append(part.component.label)
            continue
        weight = _num(part.weight * HUNDRED)
        lines.append(
            f"· {part.component.label} {_signed(line.points)}（{_num(part.value)}分×{weight}%）"
        )
    for line in me.breakdown[len(components) :]:
        detail = f"（{line.detail}）" if line.detail and "（" not in line.detail else ""
        lines.append(f"· {line.label} {_signed(line.points)}{detail}")
    if not any(part.value is not None for part in components):
        lines.append("暂无计分项数据，得分仅含加减分")
        return lines
    left_out = [f"{'、'.join(missing)}暂无数据"] if missing else []
    listed = {part.component for part in components}
    if Component.REVIEW not in listed and sum(p.nominal_weight for p in components) < ALMOST_ONE:
        left_out.append(f"{Component.REVIEW.label}仅适用于领导")
    if left_out:
        both = "均" if len(left_out) > 1 else ""
        lines.append(f"{'，'.join(left_out)}，{both}不计入，其余权重按比例放大")
    return lines


def summary(me: PersonResult, where: Standing) -> list[str]:
    """The headline, then the short breakdown."""
    return [*headline(me, where), *short_breakdown(me)]


def _signed(points: Decimal) -> str:
    return f"+{points}" if points >= 0 else f"{points}"


def _num(value: Decimal) -> str:
    """At most two decimals, trailing zeros dropped: 85, 92.5, 33.33."""
    with arithmetic():
        text = f"{to_decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
