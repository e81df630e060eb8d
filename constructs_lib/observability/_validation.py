"""Checks that several observability constructs share: endpoint, periods, M of N, retention.

Each raises :class:`~constructs_lib.core.InvalidPropsError` naming the construct path, the
prop and the fix, and skips values that are unresolved tokens.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from constructs_lib.core import InvalidPropsError, check_range, is_token, require
from constructs_lib.observability.retention import RETENTION_PERIODS
from constructs_lib.serving.endpoint import Endpoint

__all__ = [
    "check_endpoint",
    "check_evaluation",
    "check_retention",
    "check_whole_minutes",
]

_ONE_DAY = 86_400
_SEVEN_DAYS = 7 * _ONE_DAY


def check_endpoint(scope: IConstruct | str, endpoint: object, instead: str) -> Endpoint:
    """Return ``endpoint`` after checking that it is an :class:`Endpoint`.

    :param instead: the props that name an endpoint otherwise, for the fix.
    """
    if not isinstance(endpoint, Endpoint):
        raise InvalidPropsError(
            scope,
            "endpoint",
            type(endpoint).__name__,
            "is not an Endpoint of constructs_lib.serving",
            f"pass an Endpoint, or {instead}",
        )
    return endpoint


def check_whole_minutes(scope: IConstruct | str, prop: str, period: Duration, why: str) -> None:
    """Raise unless ``period`` is a positive whole number of minutes.

    :param why: what goes wrong with shorter or uneven periods, for the message.
    """
    if is_token(period):
        return
    seconds = period.to_seconds(integral=False)
    require(
        seconds > 0 and seconds % 60 == 0,
        scope,
        prop,
        period,
        f"is not a whole number of minutes; {why}",
        "use Duration.minutes(n)",
    )


def check_evaluation(
    scope: IConstruct | str,
    prop: str,
    period: Duration,
    evaluation_periods: int,
    datapoints_to_alarm: int | None,
) -> None:
    """Check an alarm's "M out of N periods" against what CloudWatch accepts.

    ``evaluation_periods`` (N) and ``datapoints_to_alarm`` (M, None: N) are whole numbers
    with ``1 <= M <= N``, and N periods span at most one day (periods of an hour or more:
    seven days). ``prop`` is the prefix of the reported props, e.g. ``latency``.
    """
    check_range(scope, f"{prop}.evaluation_periods", evaluation_periods, 1, None, integer=True)
    check_range(scope, f"{prop}.datapoints_to_alarm", datapoints_to_alarm, 1, None, integer=True)
    if datapoints_to_alarm is not None and not is_token(evaluation_periods):
        require(
            is_token(datapoints_to_alarm) or datapoints_to_alarm <= evaluation_periods,
            scope,
            f"{prop}.datapoints_to_alarm",
            datapoints_to_alarm,
            f"is more than evaluation_periods ({evaluation_periods})",
            "use datapoints_to_alarm <= evaluation_periods (M out of N)",
        )
    if is_token(period) or is_token(evaluation_periods):
        return
    seconds = period.to_seconds(integral=False)
    limit = _ONE_DAY if seconds < 3600 else _SEVEN_DAYS
    require(
        seconds * evaluation_periods <= limit,
        scope,
        f"{prop}.evaluation_periods",
        evaluation_periods,
        f"times period ({seconds:g} s) exceeds CloudWatch's {limit // _ONE_DAY}-day limit",
        "evaluate fewer or shorter periods",
    )


def check_retention(scope: IConstruct | str, prop: str, retention: object) -> None:
    """Raise unless ``retention`` is a ``logs.RetentionDays`` member (a day count is named)."""
    if isinstance(retention, logs.RetentionDays):
        return
    names = {days: name for name, days in RETENTION_PERIODS.items()}
    if isinstance(retention, int) and not isinstance(retention, bool) and retention in names:
        fix = f"pass logs.RetentionDays.{names[retention]}"
    else:
        fix = (
            "pass a logs.RetentionDays member (CloudWatch Logs accepts only these periods), "
            "e.g. logs.RetentionDays.THREE_MONTHS"
        )
    raise InvalidPropsError(scope, prop, retention, "is not a logs.RetentionDays member", fix)
