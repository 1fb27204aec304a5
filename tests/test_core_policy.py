"""Policy files (DESIGN §7, issue 6): the schema, its validation and the shipped presets."""

from __future__ import annotations

from importlib import resources

import pytest

from core.grades import AnnualGrade, Grade
from core.policy import (
    Component,
    DepartmentSplit,
    GradeMode,
    PointsOutOfBounds,
    Policy,
    PolicyError,
    Ranking,
    RaterKind,
    Severity,
    parse_policy,
)

PRESETS = ("standard", "tengchong", "yishui", "chengdu", "xinyu", "golmud")


def preset_text(name: str) -> str:
    return (resources.files("core") / "presets" / f"{name}.toml").read_text(encoding="utf-8")


def problems_of(text: str) -> dict[str, str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return {p.key: p.expected for p in caught.value.problems}


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_parses_and_is_named_after_its_file(name: str) -> None:
    policy = parse_policy(preset_text(name), source=name)
    assert policy.name == name
    assert policy.title


def test_the_shipped_presets_are_exactly_the_six() -> None:
    folder = resources.files("core") / "presets"
    names = {p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")}
    assert names == set(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_every_rule_of_a_preset_carries_a_comment(name: str) -> None:
    """Each table of a preset is explained: a citation of the seed or a stated assumption."""
    lines = preset_text(name).splitlines()
    for number, line in enumerate(lines):
        if not line.startswith("[") or line.startswith(("[calendar]", "[limits]")):
            continue
        above = lines[max(0, number - 8) : number]
        commented = any(x.startswith("#") for x in above) or "#" in line
        later = lines[number + 1 : number + 14]
        assert commented or any("#" in x for x in later), f"{name}: {line} has no comment"


@pytest.mark.parametrize("name", PRESETS[1:])
def test_seed_presets_quote_their_seed_and_state_assumptions(name: str) -> None:
    text = preset_text(name)
    assert text.count("「") >= 5
    assert "assumption" in text


def test_national_defaults_where_seeds_are_silent() -> None:
    for name in PRESETS:
        policy = parse_policy(preset_text(name))
        assert policy.grades.good_ratio == 0.4
        assert policy.annual.excellent_ratio <= 0.2


def test_an_empty_file_gives_the_built_in_defaults() -> None:
    policy = parse_policy("")
    assert policy.name == "custom"
    defaults = Policy()
    assert policy.components == defaults.components
    assert policy.grades == defaults.grades
    assert policy.annual == defaults.annual
    assert policy.incentive == defaults.incentive


def test_standard_preset_matches_the_built_in_defaults() -> None:
    """The neutral preset spells out exactly what an empty file would mean."""
    standard = parse_policy(preset_text("standard"))
    assert standard == Policy(name="standard", title="通用方案")


def test_values_are_read_into_typed_fields() -> None:
    policy = parse_policy(
        """
        [components]
        filing = 0.25
        ratings = 0.75
        review = 0
        indicators = 0
        [raters]
        self = 0.2
        head = 0.8
        supervisor = 0
        chief = 0
        peers = 0
        subordinates = 0
        [grades]
        ranking = "unit"
        mode = "forced"
        forced_shares = { good = 0.15, fairly_good = 0.8, average = 0.05, poor = 0 }
        group_good_ratio = { "班子成员" = 0.5 }
        [veto]
        kinds = ["违纪违法"]
        caps = { "诫勉" = "fairly_good" }
        [annual]
        excellent_excludes = ["poor"]
        [incentive]
        department_split = "none"
        coefficients = { good = 2, fairly_good = 1, average = 0.5, poor = 0 }
        """
    )
    assert policy.components.weight(Component.FILING) == 0.25
    assert policy.raters.weight(RaterKind.SELF) == 0.2
    assert policy.grades.ranking is Ranking.UNIT
    assert policy.grades.mode is GradeMode.FORCED
    assert policy.grades.forced_shares is not None
    assert policy.grades.forced_shares.of(Grade.GOOD) == 0.15
    assert policy.grades.good_ratio_for("班子成员") == 0.5
    assert policy.grades.good_ratio_for("一般工作人员") == 0.4
    assert policy.veto.cap_for("诫勉") is Grade.FAIRLY_GOOD
    assert policy.veto.cap_for("违纪违法") is None
    assert policy.annual.excellent_excludes == frozenset({Grade.POOR})
    assert policy.incentive.department_split is DepartmentSplit.NONE
    assert policy.incentive.coefficients.of(Grade.GOOD) == 2
    assert policy.incentive.annual_coefficients.of(AnnualGrade.EXCELLENT) == 1.2


# (policy text, the key that must be named, a word of what was expected)
BAD = [
    ("[components]\nfiling = 0.5", "components", "summing to 1"),
    ("[components]\nfiling = -0.1\nratings = 1.1", "components.filing", "0 to 1"),
    ("[components]\nfiling = 'a lot'", "components.filing", "0 to 1"),
    ("[components]\nkpi = 0.1", "components.kpi", "no such key"),
    ("[raters]\nhead = 0.9", "raters", "summing to 1"),
    ("[raters]\nboss = 0.1", "raters.boss", "no such key"),
    ("[filing]\nlate_factor = 2", "filing.late_factor", "0 to 1"),
    ("[adjustments]\nerror_points = 1", "adjustments.error_points", "-100 to 0"),
    ("[adjustments]\nlike_points = -1", "adjustments.like_points", "0 to 100"),
    ("[adjustments]\nbonus_cap_per_quarter = -5", "adjustments.bonus_cap_per_quarter", "cap"),
    ("[adjustments]\nserious_error_points = -0.2", "adjustments.error_points", "serious_error"),
    (
        "[adjustments]\nerror_points_min = -2\nserious_error_points = -3",
        "adjustments.serious_error_points",
        "error_points_min",
    ),
    ("[adjustments]\nerror_points_max = -2", "adjustments.error_points_max", "error_points"),
    ("[veto]\nkinds = ['违纪', '违纪']", "veto.kinds", "distinct"),
    ("[veto]\nkinds = 'x'", "veto.kinds", "list"),
    ("[veto.caps]\n\"诫勉\" = 'excellent'", "veto.caps.诫勉", '"fairly_good"'),
    ("[veto.caps]\n\"诫勉\" = 'good'", "veto.caps.诫勉", "below good"),
    ("[veto]\nkinds = ['诫勉']\n[veto.caps]\n\"诫勉\" = 'average'", "veto.caps.诫勉", "not also"),
    ("[grades]\nranking = 'department'", "grades.ranking", '"category"'),
    ("[grades]\nmode = 'bell'", "grades.mode", '"forced"'),
    ("[grades]\ngood_ratio = 1.5", "grades.good_ratio", "ratio from 0 to 1"),
    ("[grades]\nshortlist_ratio = -0.5", "grades.shortlist_ratio", "ratio"),
    ("[grades]\ngood_min = 101", "grades.good_min", "0 to 100"),
    ("[grades]\nfair_below = 50\npoor_below = 60", "grades.fair_below", "poor_below"),
    ("[grades]\ngood_min = 65\nfair_below = 70", "grades.good_min", "fair_below"),
    ("[grades]\nmode = 'forced'", "grades.forced_shares", 'mode = "forced"'),
    (
        "[grades.forced_shares]\ngood = 0.2\nfairly_good = 0.7\naverage = 0.05",
        "grades.forced_shares",
        "summing to 1",
    ),
    ("[grades.forced_shares]\nexcellent = 1", "grades.forced_shares.excellent", "no such key"),
    ('[grades.group_good_ratio]\n"班子成员" = 2', "grades.group_good_ratio.班子成员", "ratio"),
    ("[departments]\nred_flags = -1", "departments.red_flags", "0–100"),
    ("[annual]\nexcellent_ratio = 2", "annual.excellent_ratio", "ratio"),
    ("[annual]\nexcellent_ratio = 0.3", "annual.excellent_ratio", "0.25"),
    ("[annual]\nprobation_undetermined = 1", "annual.probation_undetermined", "true or false"),
    ("[grades]\nmin_required_days = -1", "grades.min_required_days", "0–60"),
    ("[annual]\nexcellent_min_good_quarters = 5", "annual.excellent_min_good_quarters", "0–4"),
    ("[annual]\nexcellent_excludes = ['good']", "annual.excellent_excludes", "below good"),
    ("[annual]\nexcellent_excludes = ['bad']", "annual.excellent_excludes", "list of grades"),
    ("[annual]\nbasic_below = 50\nunfit_below = 60", "annual.basic_below", "unfit_below"),
    (
        "[annual]\nbasic_poor_quarters = 3\nunfit_poor_quarters = 2",
        "annual.unfit_poor_quarters",
        "basic_poor_quarters",
    ),
    ("[annual]\nyear_end_weight = 1.5", "annual.year_end_weight", "0 to 1"),
    ("[incentive]\ndepartment_split = 'equal'", "incentive.department_split", '"none"'),
    (
        "[incentive.coefficients]\ngood = 1\nfairly_good = 1.5",
        "incentive.coefficients",
        "never rise",
    ),
    (
        "[incentive.annual_coefficients]\nexcellent = 1\nbasic = 2",
        "incentive.annual_coefficients",
        "never rise",
    ),
    ("[incentive.coefficients]\nsuper = 3", "incentive.coefficients.super", "no such key"),
    ("grades = 3", "grades", "a table"),
    ("colour = 'red'", "colour", "no such key"),
    ("[schedule]\ndeadline = '25:00'", "schedule.deadline", "HH:MM"),
    ("[privacy]\nmin_group = 0", "privacy.min_group", "1–100"),
    ("[privacy]\nmin_group = 'five'", "privacy.min_group", "1–100"),
    ("[privacy]\npost_leadership_boards = 'yes'", "privacy.post_leadership_boards", "true or"),
    ("[privacy]\nrank_leadership_department = 1", "privacy.rank_leadership_department", "true"),
    ("[privacy]\nleadership_category = ''", "privacy.leadership_category", "non-empty"),
    ("[privacy]\nmin_size = 3", "privacy.min_size", "no such key"),
]


@pytest.mark.parametrize(("text", "key", "expected"), BAD)
def test_a_bad_value_names_key_value_and_expectation(text: str, key: str, expected: str) -> None:
    problems = problems_of(text)
    assert key in problems, problems
    assert expected in problems[key]


def test_every_problem_is_reported_at_once_with_its_value() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("[grades]\ngood_ratio = 7\n[filing]\nlate_factor = -1\n[oops]\n")
    error = caught.value
    keys = [p.key for p in error.problems]
    assert {"grades.good_ratio", "filing.late_factor", "oops"} <= set(keys)
    ratio = next(p for p in error.problems if p.key == "grades.good_ratio")
    assert ratio.value == 7
    assert "grades.good_ratio = 7" in str(error)


def test_weights_within_tolerance_are_accepted() -> None:
    policy = parse_policy(
        "[components]\nfiling = 0.3333333\nratings = 0.3333333\nindicators = 0.3333334\nreview = 0"
    )
    assert policy.components.review == 0


def test_invalid_toml_is_one_problem() -> None:
    problems = problems_of("[grades\n")
    assert list(problems) == ["(file)"]


@pytest.mark.parametrize(
    ("severity", "explicit", "points"),
    [
        (Severity.NORMAL, None, -1.0),
        (Severity.SERIOUS, None, -3.0),
        (Severity.SERIOUS, -5.0, -5.0),
        (Severity.NORMAL, -0.5, -0.5),
    ],
)
def test_error_points_come_from_the_policy(
    severity: Severity, explicit: float | None, points: float
) -> None:
    assert Policy().adjustments.error_points_for(severity, explicit) == points


@pytest.mark.parametrize("explicit", [-11.0, -0.1, 2.0])
def test_error_points_outside_the_bounds_are_refused(explicit: float) -> None:
    with pytest.raises(PointsOutOfBounds):
        Policy().adjustments.error_points_for(Severity.NORMAL, explicit)


def test_privacy_defaults_keep_small_groups_and_leaders_out_of_posted_charts() -> None:
    policy = parse_policy("")
    assert policy.privacy.min_group == 5
    assert policy.privacy.leadership_category == "班子成员"
    assert not policy.privacy.post_leadership_boards
    assert not policy.privacy.rank_leadership_department
    switched = parse_policy(
        "[privacy]\nmin_group = 3\nleadership_category = '领导班子'\n"
        "post_leadership_boards = true\nrank_leadership_department = true"
    )
    assert switched.privacy.min_group == 3
    assert switched.privacy.leadership_category == "领导班子"
    assert switched.privacy.post_leadership_boards
    assert switched.privacy.rank_leadership_department
