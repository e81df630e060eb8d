"""How each kind of :class:`~constructs_lib.observability.EndpointAlarms` alarm decides.

Every kind of alarm (:class:`AlarmKind`) is switched and tuned by a small frozen settings
object: :class:`LatencyAlarm`, :class:`ErrorRateAlarm`, :class:`ErrorMixAlarm`,
:class:`InvocationsAlarm`, :class:`UtilizationAlarm`, :class:`ServerlessAlarm`,
:class:`BacklogAlarm` and :class:`BacklogAgeAlarm`, all :class:`AlarmSettings`. Each has the
defaults of the kinds it serves, so only what differs needs to be written::

    EndpointAlarms(..., latency=LatencyAlarm(percentile=99.9, threshold=Duration.seconds(1)),
                   error_mix=ErrorMixAlarm(enabled=False))

:data:`DEFAULT_CRITICAL_KINDS` are the kinds joined into the composite (rollback) alarm
unless ``critical`` says otherwise.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import IConstruct

from constructs_lib.core import check_range, is_token, pascal_case, require
from constructs_lib.observability._validation import check_evaluation, check_whole_minutes

__all__ = [
    "DEFAULT_CRITICAL_KINDS",
    "AlarmKind",
    "AlarmSettings",
    "BacklogAgeAlarm",
    "BacklogAlarm",
    "ErrorMixAlarm",
    "ErrorRateAlarm",
    "InvocationsAlarm",
    "LatencyAlarm",
    "ServerlessAlarm",
    "UtilizationAlarm",
]

_ONE_MINUTE = Duration.minutes(1)
_FIVE_MINUTES = Duration.minutes(5)
_LATENCY_THRESHOLD = Duration.millis(500)
_SETUP_TIME_THRESHOLD = Duration.seconds(10)
_BACKLOG_AGE_THRESHOLD = Duration.minutes(30)


@dataclass(frozen=True, kw_only=True)
class AlarmSettings:
    """What every alarm kind exposes. Use a subclass (:class:`LatencyAlarm`, ...).

    :param enabled: create the alarm. Default: True.
    :param period: the period each datapoint aggregates, a multiple of 60 s (SageMaker
        publishes per minute). Default: 1 minute (utilization, invocations and backlog
        kinds: 5 minutes).
    :param evaluation_periods: the N periods evaluated. Default: 5 (5-minute kinds: 3).
    :param datapoints_to_alarm: the M of N breaching periods that trip the alarm.
        Default: 3.
    :param comparison_operator: how the value compares with the threshold. Default: greater
        than (invocations: less than).
    :param treat_missing_data: any of the four modes. Default: NOT_BREACHING (invocations:
        BREACHING, so vanished traffic alarms).
    """

    enabled: bool = True
    period: Duration = _ONE_MINUTE
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3
    comparison_operator: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
    )
    treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING

    def validate(self, scope: IConstruct | str, prop: str) -> None:
        """Raise InvalidPropsError for values CloudWatch or SageMaker would reject.

        :param prop: how messages name these settings, e.g. ``settings[model-latency]``.
        """
        _check_settings(scope, prop, self)

    def describe(self) -> str:
        """E.g. ``above 500 ms in 3 of 5 periods of 1 minute``, for alarm descriptions."""
        return _describe_condition(self)

    def metric_threshold(self) -> float:
        """The threshold in the metric's unit (durations: microseconds; backlog age: s)."""
        return _threshold_in_metric_units(self)


@dataclass(frozen=True, kw_only=True)
class LatencyAlarm(AlarmSettings):
    """Model latency (``ModelLatency``) at a percentile, per variant.

    :param percentile: the percentile, strictly between 0 and 100 (e.g. 99 or 99.9).
        Default: 99.
    :param threshold: the latency limit; converted to microseconds, SageMaker's unit.
        Default: 500 ms.
    :param evaluate_low_sample_count_percentile: evaluate periods with too few samples for
        a meaningful percentile (``evaluate``), or keep the previous state (``ignore``).
        Default: True (evaluate).

    The common fields are those of :class:`AlarmSettings` (1-minute periods, 3 of 5).
    """

    percentile: float = 99
    threshold: Duration = _LATENCY_THRESHOLD
    evaluate_low_sample_count_percentile: bool = True


@dataclass(frozen=True, kw_only=True)
class ErrorRateAlarm(AlarmSettings):
    """5XX or 4XX errors in percent of invocations: ``100 * FILL(errors, 0) / invocations``.

    :param threshold: the error rate in percent, 0-100. Default: 1.
    :param min_invocations: periods with fewer invocations read 0 %, so that one error in
        one request does not alarm. Default: 1 (every period with traffic counts).

    The common fields are those of :class:`AlarmSettings` (1-minute periods, 3 of 5).
    """

    threshold: float = 1.0
    min_invocations: int = 1


@dataclass(frozen=True, kw_only=True)
class ErrorMixAlarm(AlarmSettings):
    """The 5XX share of all errors: ``100 * 5XX / (4XX + 5XX)``, 0 when there are none.

    A high share means the errors come from the model or the service, not from callers.

    :param threshold: the 5XX share in percent, 0-100. Default: 50.
    :param min_errors: periods with fewer errors (4XX + 5XX) read 0 %. Default: 10.

    The common fields are those of :class:`AlarmSettings` (1-minute periods, 3 of 5).
    """

    threshold: float = 50.0
    min_errors: int = 10


@dataclass(frozen=True, kw_only=True)
class _FiveMinuteSettings(AlarmSettings):
    """The defaults of the slower kinds: 5-minute periods, 3 of 3."""

    period: Duration = _FIVE_MINUTES
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3


@dataclass(frozen=True, kw_only=True)
class InvocationsAlarm(_FiveMinuteSettings):
    """Invocations (Sum) below a minimum; missing data breaches, so vanished traffic alarms.

    Disable it when a variant legitimately gets no traffic (weight 0); the setting applies
    to every variant.

    :param threshold: the minimum invocations per period. Default: 1 (alarm on zero).

    Defaults differ from :class:`AlarmSettings`: 5-minute periods, 3 of 3, LESS_THAN,
    missing data BREACHING.
    """

    comparison_operator: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
    )
    treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.BREACHING
    threshold: float = 1.0


@dataclass(frozen=True, kw_only=True)
class UtilizationAlarm(_FiveMinuteSettings):
    """A utilization in percent, 0-100 (CPU and GPU normalized by their counts).

    :param threshold: the utilization in percent, 0-100. Default: 90.

    Defaults differ from :class:`AlarmSettings`: 5-minute periods, 3 of 3.
    """

    threshold: float = 90.0


@dataclass(frozen=True, kw_only=True)
class ServerlessAlarm(_FiveMinuteSettings):
    """Serverless cold-start time: average ``ModelSetupTime`` above a limit.

    :param threshold: the setup-time limit; converted to microseconds. Default: 10 s.

    Defaults differ from :class:`AlarmSettings`: 5-minute periods, 3 of 3.
    """

    threshold: Duration = _SETUP_TIME_THRESHOLD


@dataclass(frozen=True, kw_only=True)
class BacklogAlarm(_FiveMinuteSettings):
    """An async backlog count: ``ApproximateBacklogSize`` or ``HasBacklogWithoutCapacity``.

    :param threshold: the count (for HasBacklogWithoutCapacity, 0 means "any"). Default: 100.

    Defaults differ from :class:`AlarmSettings`: 5-minute periods, 3 of 3.
    """

    threshold: float = 100.0


@dataclass(frozen=True, kw_only=True)
class BacklogAgeAlarm(_FiveMinuteSettings):
    """The age of the oldest queued async request (``ApproximateAgeOfOldestRequest``, max).

    :param threshold: the age limit; converted to seconds. Default: 30 minutes.

    Defaults differ from :class:`AlarmSettings`: 5-minute periods, 3 of 3.
    """

    threshold: Duration = _BACKLOG_AGE_THRESHOLD


class AlarmKind(enum.StrEnum):
    """The kinds of alarms :class:`EndpointAlarms` creates; the value ends the alarm name."""

    MODEL_LATENCY = "model-latency"
    SERVER_ERROR_RATE = "5xx-rate"
    CLIENT_ERROR_RATE = "4xx-rate"
    ERROR_MIX = "error-mix"
    INVOCATIONS = "invocations"
    CPU_UTILIZATION = "cpu-utilization"
    MEMORY_UTILIZATION = "memory-utilization"
    DISK_UTILIZATION = "disk-utilization"
    GPU_UTILIZATION = "gpu-utilization"
    GPU_MEMORY_UTILIZATION = "gpu-memory-utilization"
    MODEL_SETUP_TIME = "model-setup-time"
    SERVERLESS_CONCURRENCY = "serverless-concurrency"
    BACKLOG_SIZE = "backlog-size"
    BACKLOG_AGE = "backlog-age"
    BACKLOG_WITHOUT_CAPACITY = "backlog-without-capacity"

    @property
    def construct_id(self) -> str:
        """The fixed construct id of alarms of this kind."""
        return pascal_case(self.value)

    @property
    def description(self) -> str:
        """A readable name of what the kind watches (from the alarm-kind registry)."""
        from constructs_lib.observability.alarm_kinds import ALARM_KINDS

        return ALARM_KINDS[self].description

    @property
    def default_settings(self) -> AlarmSettings:
        """The settings of this kind when none are given (from the alarm-kind registry)."""
        from constructs_lib.observability.alarm_kinds import ALARM_KINDS

        return ALARM_KINDS[self].default


#: The kinds joined into the composite alarm by default.
DEFAULT_CRITICAL_KINDS: tuple[AlarmKind, ...] = (
    AlarmKind.MODEL_LATENCY,
    AlarmKind.SERVER_ERROR_RATE,
    AlarmKind.INVOCATIONS,
    AlarmKind.BACKLOG_AGE,
)

# -- helpers for EndpointAlarms ------------------------------------------------------------------


def _threshold_in_metric_units(s: AlarmSettings) -> float:
    """The threshold in the metric's unit (durations: microseconds; backlog age: seconds)."""
    threshold = s.threshold  # type: ignore[attr-defined]
    if isinstance(s, BacklogAgeAlarm):
        return float(threshold.to_seconds(integral=False))
    if isinstance(threshold, Duration):
        return float(threshold.to_milliseconds(integral=False)) * 1000
    return float(threshold)


def _describe_condition(s: AlarmSettings) -> str:
    """E.g. ``above 500 ms in 3 of 5 periods of 1 minute``, for alarm descriptions."""
    threshold = s.threshold  # type: ignore[attr-defined]
    if isinstance(threshold, Duration):
        text = str(threshold.to_human_string())
    elif is_token(threshold):
        text = "the threshold"
    else:
        text = f"{threshold:g}" + (" %" if isinstance(s, _PERCENT_SETTINGS) else "")
    operator = _OPERATOR_TEXT.get(s.comparison_operator, str(s.comparison_operator))
    return (
        f"{operator} {text} in {s.datapoints_to_alarm} of {s.evaluation_periods} periods "
        f"of {s.period.to_human_string()}"
    )


# -- private helpers ----------------------------------------------------------------------------

_PERCENT_SETTINGS = (ErrorRateAlarm, ErrorMixAlarm, UtilizationAlarm)

_OPERATOR_TEXT = {
    cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD: "above",
    cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: "at or above",
    cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD: "below",
    cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD: "at or below",
}


def _check_settings(scope: IConstruct | str, prop: str, s: AlarmSettings) -> None:
    if not s.enabled:
        return
    check_whole_minutes(
        scope,
        f"{prop}.period",
        s.period,
        "SageMaker publishes its metrics once a minute, so shorter or uneven periods flap "
        "to INSUFFICIENT_DATA",
    )
    check_evaluation(scope, prop, s.period, s.evaluation_periods, s.datapoints_to_alarm)
    require(
        isinstance(s.comparison_operator, cloudwatch.ComparisonOperator)
        and s.comparison_operator in _OPERATOR_TEXT,
        scope,
        f"{prop}.comparison_operator",
        s.comparison_operator,
        "is not a static-threshold operator",
        "use GREATER_THAN[_OR_EQUAL_TO]_THRESHOLD or LESS_THAN[_OR_EQUAL_TO]_THRESHOLD",
    )
    require(
        isinstance(s.treat_missing_data, cloudwatch.TreatMissingData),
        scope,
        f"{prop}.treat_missing_data",
        s.treat_missing_data,
        "is not a TreatMissingData mode",
        "use TreatMissingData.BREACHING, NOT_BREACHING, IGNORE or MISSING",
    )
    if isinstance(s, LatencyAlarm) and not is_token(s.percentile):
        require(
            isinstance(s.percentile, int | float)
            and not isinstance(s.percentile, bool)
            and 0 < s.percentile < 100,
            scope,
            f"{prop}.percentile",
            s.percentile,
            "is not strictly between 0 and 100",
            "use e.g. 50, 90, 99 or 99.9",
        )
    threshold = s.threshold  # type: ignore[attr-defined]
    if isinstance(threshold, Duration):
        require(
            is_token(threshold) or threshold.to_milliseconds(integral=False) > 0,
            scope,
            f"{prop}.threshold",
            threshold,
            "is not positive",
            "use a positive Duration, e.g. Duration.millis(500)",
        )
    elif isinstance(s, _PERCENT_SETTINGS):
        check_range(scope, f"{prop}.threshold", threshold, 0, 100)
    else:
        check_range(scope, f"{prop}.threshold", threshold, 0)
    if isinstance(s, ErrorRateAlarm):
        check_range(scope, f"{prop}.min_invocations", s.min_invocations, 1, None, integer=True)
    if isinstance(s, ErrorMixAlarm):
        check_range(scope, f"{prop}.min_errors", s.min_errors, 1, None, integer=True)
