"""CloudWatch Logs retention periods: the days behind each ``logs.RetentionDays`` member.

CloudWatch Logs accepts only certain retention periods. :data:`RETENTION_DAYS` lists them in
days and :func:`retention_from_days` turns a day count (as a config file gives it) into
the ``logs.RetentionDays`` member the constructs take.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_logs as logs

__all__ = ["RETENTION_DAYS", "RETENTION_PERIODS", "retention_from_days"]


def retention_from_days(days: int) -> logs.RetentionDays:
    """The ``logs.RetentionDays`` member for a number of days (one of ``RETENTION_DAYS``)."""
    for name, value in RETENTION_PERIODS.items():
        if value == days:
            return getattr(logs.RetentionDays, name)
    raise ValueError(f"{days} days is not a CloudWatch Logs retention; use one of {RETENTION_DAYS}")


#: The days behind each ``logs.RetentionDays`` member (jsii exposes only the names).
RETENTION_PERIODS: Mapping[str, int] = {
    "ONE_DAY": 1,
    "THREE_DAYS": 3,
    "FIVE_DAYS": 5,
    "ONE_WEEK": 7,
    "TWO_WEEKS": 14,
    "ONE_MONTH": 30,
    "TWO_MONTHS": 60,
    "THREE_MONTHS": 90,
    "FOUR_MONTHS": 120,
    "FIVE_MONTHS": 150,
    "SIX_MONTHS": 180,
    "ONE_YEAR": 365,
    "THIRTEEN_MONTHS": 400,
    "EIGHTEEN_MONTHS": 545,
    "TWO_YEARS": 731,
    "THREE_YEARS": 1096,
    "FIVE_YEARS": 1827,
    "SIX_YEARS": 2192,
    "SEVEN_YEARS": 2557,
    "EIGHT_YEARS": 2922,
    "NINE_YEARS": 3288,
    "TEN_YEARS": 3653,
}

#: The retention periods CloudWatch Logs accepts, in days.
RETENTION_DAYS: tuple[int, ...] = tuple(sorted(RETENTION_PERIODS.values()))
