"""Tests for the checks the observability constructs share: periods, M of N, retention.

Each construct's own tests show that it applies them to its props; here are the limits.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Token
from aws_cdk import aws_logs as logs

from constructs_lib.core import InvalidPropsError
from constructs_lib.observability._validation import (
    check_evaluation,
    check_retention,
    check_whole_minutes,
)

SCOPE = "Test/Construct"


@pytest.mark.parametrize("period", [Duration.minutes(1), Duration.minutes(15), Duration.hours(1)])
def test_whole_minutes_pass(period: Duration) -> None:
    check_whole_minutes(SCOPE, "period", period, "why")


@pytest.mark.parametrize(
    "period",
    [Duration.seconds(0), Duration.seconds(30), Duration.seconds(90)],
    ids=lambda d: d.to_human_string(),
)
def test_other_periods_are_refused_with_the_reason(period: Duration) -> None:
    with pytest.raises(
        InvalidPropsError,
        match=r"Test/Construct: x.period=.* is not a whole number of minutes; data is per minute"
        r"\. Fix: use Duration.minutes\(n\)$",
    ):
        check_whole_minutes(SCOPE, "x.period", period, "data is per minute")


def test_unresolved_values_are_skipped() -> None:
    token_period = Duration.seconds(Token.as_number({"Ref": "Period"}))
    check_whole_minutes(SCOPE, "period", token_period, "why")
    token_count = int(Token.as_number({"Ref": "N"}))
    check_evaluation(SCOPE, "x", Duration.minutes(1), token_count, 3)
    check_evaluation(SCOPE, "x", token_period, 10_000, 1)


@pytest.mark.parametrize(
    ("period", "n", "m"),
    [
        (Duration.minutes(1), 1, None),
        (Duration.minutes(1), 5, 5),
        (Duration.minutes(1), 1440, 1),  # one day of one-minute periods
        (Duration.hours(1), 168, 1),  # periods of an hour or more: seven days
    ],
)
def test_evaluations_cloudwatch_accepts(period: Duration, n: int, m: int | None) -> None:
    check_evaluation(SCOPE, "x", period, n, m)


@pytest.mark.parametrize(
    ("period", "n", "m", "match"),
    [
        (Duration.minutes(1), 0, None, r"x.evaluation_periods=0 is out of range"),
        (Duration.minutes(1), 2.5, None, r"x.evaluation_periods=2.5 is not a whole number"),
        (Duration.minutes(1), 5, 0, r"x.datapoints_to_alarm=0 is out of range"),
        (Duration.minutes(1), 2, 3, r"x.datapoints_to_alarm=3 is more than evaluation_periods"),
        (Duration.minutes(1), 1441, 1, r"times period \(60 s\) exceeds CloudWatch's 1-day"),
        (Duration.minutes(30), 49, 1, r"times period \(1800 s\) exceeds CloudWatch's 1-day"),
        (Duration.hours(1), 169, 1, r"times period \(3600 s\) exceeds CloudWatch's 7-day"),
    ],
)
def test_evaluations_cloudwatch_refuses(
    period: Duration, n: Any, m: int | None, match: str
) -> None:
    with pytest.raises(InvalidPropsError, match=match):
        check_evaluation(SCOPE, "x", period, n, m)


def test_retention_days_members_pass() -> None:
    for member in logs.RetentionDays:
        check_retention(SCOPE, "retention", member)


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        (90, r"pass logs\.RetentionDays\.THREE_MONTHS$"),
        (365, r"pass logs\.RetentionDays\.ONE_YEAR$"),
        (3653, r"pass logs\.RetentionDays\.TEN_YEARS$"),
        (91, r"pass a logs\.RetentionDays member .*e\.g\. logs\.RetentionDays\.THREE_MONTHS$"),
        (True, r"pass a logs\.RetentionDays member"),
        ("THREE_MONTHS", r"pass a logs\.RetentionDays member"),
    ],
)
def test_other_retentions_are_refused_and_day_counts_named(value: Any, fix: str) -> None:
    with pytest.raises(
        InvalidPropsError, match=r"is not a logs\.RetentionDays member\. Fix: " + fix
    ):
        check_retention(SCOPE, "retention", value)


def test_retention_from_days_matches_the_members() -> None:
    from aws_cdk import aws_logs as logs

    from constructs_lib.observability import RETENTION_DAYS, retention_from_days

    assert retention_from_days(90) == logs.RetentionDays.THREE_MONTHS
    assert retention_from_days(3653) == logs.RetentionDays.TEN_YEARS
    assert len(RETENTION_DAYS) == len(list(logs.RetentionDays)) - 1  # INFINITE has no days
    with pytest.raises(ValueError, match="100 days"):
        retention_from_days(100)
