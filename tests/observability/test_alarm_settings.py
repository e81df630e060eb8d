"""Tests for the alarm settings: the documented defaults of each kind, and what is refused.

No synthesis here: the settings are plain values, checked with a construct path given as
text.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import (
    DEFAULT_CRITICAL_KINDS,
    AlarmKind,
    AlarmSettings,
    BacklogAgeAlarm,
    BacklogAlarm,
    EndpointAlarms,
    ErrorMixAlarm,
    ErrorRateAlarm,
    InvocationsAlarm,
    LatencyAlarm,
    ServerlessAlarm,
    UtilizationAlarm,
)
from constructs_lib.observability.alarm_kinds import ALARM_KINDS, resolve_settings

OP = cloudwatch.ComparisonOperator
TMD = cloudwatch.TreatMissingData
GT, LT = OP.GREATER_THAN_THRESHOLD, OP.LESS_THAN_THRESHOLD
NB, BR = TMD.NOT_BREACHING, TMD.BREACHING


# -- defaults ----------------------------------------------------------------------------------

# kind: settings type, threshold, period (minutes), M of N, operator, missing data. These are
# the defaults the EndpointAlarms docstring promises.
DEFAULTS = {
    AlarmKind.MODEL_LATENCY: (LatencyAlarm, Duration.millis(500), 1, (3, 5), GT, NB),
    AlarmKind.SERVER_ERROR_RATE: (ErrorRateAlarm, 1, 1, (3, 5), GT, NB),
    AlarmKind.CLIENT_ERROR_RATE: (ErrorRateAlarm, 5, 1, (3, 5), GT, NB),
    AlarmKind.ERROR_MIX: (ErrorMixAlarm, 50, 1, (3, 5), GT, NB),
    AlarmKind.INVOCATIONS: (InvocationsAlarm, 1, 5, (3, 3), LT, BR),
    AlarmKind.CPU_UTILIZATION: (UtilizationAlarm, 90, 5, (3, 3), GT, NB),
    AlarmKind.MEMORY_UTILIZATION: (UtilizationAlarm, 90, 5, (3, 3), GT, NB),
    AlarmKind.DISK_UTILIZATION: (UtilizationAlarm, 75, 5, (3, 3), GT, NB),
    AlarmKind.GPU_UTILIZATION: (UtilizationAlarm, 90, 5, (3, 3), GT, NB),
    AlarmKind.GPU_MEMORY_UTILIZATION: (UtilizationAlarm, 90, 5, (3, 3), GT, NB),
    AlarmKind.MODEL_SETUP_TIME: (ServerlessAlarm, Duration.seconds(10), 5, (3, 3), GT, NB),
    AlarmKind.SERVERLESS_CONCURRENCY: (UtilizationAlarm, 90, 5, (3, 3), GT, NB),
    AlarmKind.BACKLOG_SIZE: (BacklogAlarm, 100, 5, (3, 3), GT, NB),
    AlarmKind.BACKLOG_AGE: (BacklogAgeAlarm, Duration.minutes(30), 5, (3, 3), GT, NB),
    AlarmKind.BACKLOG_WITHOUT_CAPACITY: (BacklogAlarm, 0, 5, (3, 3), GT, NB),
}


@pytest.mark.parametrize("kind", list(AlarmKind), ids=str)
def test_default_settings_of_each_kind(kind: AlarmKind) -> None:
    settings_type, threshold, minutes, (m, n), operator, missing = DEFAULTS[kind]
    s = kind.default_settings
    assert type(s) is settings_type
    assert s.enabled is True
    got = s.threshold  # type: ignore[attr-defined]
    if isinstance(threshold, Duration):
        assert got.to_seconds(integral=False) == threshold.to_seconds(integral=False)
    else:
        assert got == threshold
    assert s.period.to_minutes() == minutes
    assert (s.datapoints_to_alarm, s.evaluation_periods) == (m, n)
    assert (s.comparison_operator, s.treat_missing_data) == (operator, missing)


def test_every_kind_has_one_registry_entry_and_one_settings_key() -> None:
    # Adding a kind is one registry entry: EndpointAlarms takes settings keyed by kind.
    assert list(ALARM_KINDS) == list(AlarmKind)
    parameters = inspect.signature(EndpointAlarms.__init__).parameters
    assert "settings" in parameters
    assert not any(k.value.replace("-", "_") in parameters for k in AlarmKind)
    for kind, info in ALARM_KINDS.items():
        assert kind.default_settings is info.default
        assert info.description and info.unit


def test_construct_ids_and_critical_defaults() -> None:
    # Construct ids make logical ids: they are part of the public contract.
    assert [k.construct_id for k in AlarmKind][:5] == [
        "ModelLatency",
        "5xxRate",
        "4xxRate",
        "ErrorMix",
        "Invocations",
    ]
    assert AlarmKind.GPU_MEMORY_UTILIZATION.construct_id == "GpuMemoryUtilization"
    assert DEFAULT_CRITICAL_KINDS == (
        AlarmKind.MODEL_LATENCY,
        AlarmKind.SERVER_ERROR_RATE,
        AlarmKind.INVOCATIONS,
        AlarmKind.BACKLOG_AGE,
    )


def test_given_settings_replace_the_defaults_of_their_kind_only() -> None:
    latency = LatencyAlarm(percentile=99.9)
    settings = resolve_settings("Test/Alarms", {AlarmKind.MODEL_LATENCY: latency})
    assert settings[AlarmKind.MODEL_LATENCY] is latency
    assert settings[AlarmKind.ERROR_MIX] is AlarmKind.ERROR_MIX.default_settings
    assert list(settings) == list(AlarmKind)


# -- units and descriptions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "value"),
    [
        (LatencyAlarm(threshold=Duration.millis(250)), 250_000),  # microseconds
        (ServerlessAlarm(threshold=Duration.seconds(4)), 4_000_000),  # microseconds
        (BacklogAgeAlarm(threshold=Duration.minutes(20)), 1200),  # seconds
        (ErrorRateAlarm(threshold=2.5), 2.5),
        (BacklogAlarm(threshold=0), 0),
    ],
)
def test_thresholds_are_converted_to_the_metrics_unit(settings: Any, value: float) -> None:
    assert settings.metric_threshold() == value


def test_conditions_read_as_a_sentence() -> None:
    assert LatencyAlarm().describe() == "above 500 millis in 3 of 5 periods of 1 minute"
    assert UtilizationAlarm(threshold=75).describe() == (
        "above 75 % in 3 of 3 periods of 5 minutes"
    )
    at_or_below = InvocationsAlarm(comparison_operator=OP.LESS_THAN_OR_EQUAL_TO_THRESHOLD)
    assert at_or_below.describe() == "at or below 1 in 3 of 3 periods of 5 minutes"


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "settings", "match"),
    [
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(period=Duration.seconds(30)),
            r"settings\[model-latency\].period=30 seconds is not a whole number of minutes;"
            r" SageMaker publishes",
        ),
        (
            AlarmKind.CPU_UTILIZATION,
            UtilizationAlarm(period=Duration.seconds(90)),
            r"settings\[cpu-utilization\].period=",
        ),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(evaluation_periods=2, datapoints_to_alarm=3),
            r"settings\[model-latency\].datapoints_to_alarm=3 is more than evaluation_periods"
            r" \(2\)",
        ),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(evaluation_periods=1441, datapoints_to_alarm=1),
            r"settings\[model-latency\].evaluation_periods=1441 times period \(60 s\) exceeds"
            r" .*1-day limit",
        ),
        (AlarmKind.MODEL_LATENCY, LatencyAlarm(percentile=0), r"percentile=0 is not strictly"),
        (AlarmKind.MODEL_LATENCY, LatencyAlarm(percentile=100), r"percentile=100 is not"),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(percentile=120.5),
            r"settings\[model-latency\].percentile=120.5",
        ),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(threshold=Duration.millis(0)),
            r"settings\[model-latency\].threshold=.* is not positive",
        ),
        (
            AlarmKind.SERVER_ERROR_RATE,
            ErrorRateAlarm(threshold=150),
            r"settings\[5xx-rate\].threshold=150 is out of range.*between 0 and 100",
        ),
        (
            AlarmKind.INVOCATIONS,
            InvocationsAlarm(threshold=-1),
            r"settings\[invocations\].threshold=-1",
        ),
        (
            AlarmKind.CLIENT_ERROR_RATE,
            ErrorRateAlarm(min_invocations=0),
            r"settings\[4xx-rate\].min_invocations=0",
        ),
        (AlarmKind.ERROR_MIX, ErrorMixAlarm(min_errors=0), r"settings\[error-mix\].min_errors=0"),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(comparison_operator=OP.GREATER_THAN_UPPER_THRESHOLD),
            r"settings\[model-latency\].comparison_operator=.* is not a static-threshold operator",
        ),
        (
            AlarmKind.MODEL_LATENCY,
            LatencyAlarm(treat_missing_data="ignore"),  # type: ignore[arg-type]
            r"settings\[model-latency\].treat_missing_data='ignore' is not a TreatMissingData mode",
        ),
        (
            AlarmKind.MODEL_LATENCY,
            UtilizationAlarm(),
            r"settings\[model-latency\]='UtilizationAlarm' is not a LatencyAlarm. Fix: pass"
            r" LatencyAlarm",
        ),
        (
            AlarmKind.BACKLOG_AGE,
            BacklogAlarm(),
            r"settings\[backlog-age\]='BacklogAlarm' is not a BacklogAgeAlarm",
        ),
    ],
)
def test_bad_settings_are_refused(kind: AlarmKind, settings: AlarmSettings, match: str) -> None:
    with pytest.raises(InvalidPropsError, match=match) as raised:
        resolve_settings("Test/Alarms", {kind: settings})
    assert raised.value.path == "Test/Alarms"
    assert "Fix:" in str(raised.value)


def test_disabled_settings_are_not_checked_beyond_their_type() -> None:
    quiet = LatencyAlarm(enabled=False, period=Duration.seconds(30), percentile=0)
    settings = resolve_settings("Test/Alarms", {AlarmKind.MODEL_LATENCY: quiet})
    assert settings[AlarmKind.MODEL_LATENCY] is quiet
    with pytest.raises(InvalidPropsError, match="is not a LatencyAlarm"):
        resolve_settings("Test/Alarms", {AlarmKind.MODEL_LATENCY: UtilizationAlarm(enabled=False)})
