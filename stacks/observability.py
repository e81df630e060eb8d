"""The reference app's observability wiring: config -> alarms, logs, dashboard, audit, events.

Kept apart from the serving stack so each reads top-down: the stack decides *what* it
deploys, this module turns the observability config into constructs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib import Endpoint, InvalidPropsError, ProductionVariant
from constructs_lib.observability import (
    ALARM_KINDS,
    RETENTION_DAYS,
    AlarmKind,
    AlarmSettings,
    AuditTrail,
    EndpointAlarms,
    EndpointDashboard,
    EndpointEventRules,
    EndpointLogGroup,
    MonitoredVariant,
    NotificationTopic,
    retention_from_days,
)
from stacks.config import (
    MISSING_DATA,
    AlarmTuning,
    DeploymentSettings,
    NotificationSettings,
    ObservabilitySettings,
    given,
)

__all__ = ["EndpointAlarmsPlan", "add_endpoint_monitoring", "plan_endpoint_alarms"]


@dataclass(frozen=True)
class EndpointAlarmsPlan:
    """The alarms built before the endpoint, and the ones its updates roll back on."""

    topic: NotificationTopic
    alarms: EndpointAlarms
    rollback_alarms: list[cloudwatch.IAlarm]


def plan_endpoint_alarms(
    scope: Construct,
    *,
    endpoint_name: str,
    variants: Sequence[ProductionVariant],
    notifications: NotificationSettings,
    settings: ObservabilitySettings,
    deployment: DeploymentSettings | None,
) -> EndpointAlarmsPlan:
    """Create the notification topic and the endpoint's alarms (before the endpoint exists).

    The alarms watch metrics by endpoint name, so the endpoint can name them as its
    auto-rollback alarms without a circular dependency. ``deployment.rollback_on`` picks
    the rollback alarms: the metric alarms of the rollback kinds (``alarms``), the composite
    (``composite``, an explicit opt-in) or none; without ``deployment`` (a serverless
    endpoint) there are none.
    """
    topic = NotificationTopic(
        scope,
        "Notifications",
        emails=notifications.emails,
        https_endpoints=notifications.https_endpoints,
    )
    tunings = {AlarmKind(kind): _settings(kind, tuning) for kind, tuning in settings.alarms.items()}
    alarms = EndpointAlarms(
        scope,
        "Alarms",
        actions=topic.actions,
        endpoint_name=endpoint_name,
        variants=[MonitoredVariant.from_production_variant(v) for v in variants],
        critical=[AlarmKind(k) for k in settings.critical] if settings.critical else None,
        rollback=(
            [AlarmKind(k) for k in deployment.rollback_kinds]
            if deployment is not None and deployment.rollback_kinds is not None
            else None
        ),
        settings=tunings,
    )
    rollback: list[cloudwatch.IAlarm] = []
    rollback_on = deployment.rollback_on if deployment is not None else "none"
    if rollback_on == "composite" and alarms.composite is not None:
        rollback = [alarms.composite]
    elif rollback_on == "alarms":
        rollback = list(alarms.rollback_alarms)
    return EndpointAlarmsPlan(topic, alarms, rollback)


def add_endpoint_monitoring(
    scope: Construct,
    *,
    endpoint: Endpoint,
    endpoint_name: str,
    plan: EndpointAlarmsPlan,
    settings: ObservabilitySettings,
) -> None:
    """Add the endpoint's log group (+ error alarm), dashboard, event rules and audit trail."""
    days = settings.log_retention_days
    log_group = EndpointLogGroup(
        scope,
        "EndpointLogs",
        endpoint=endpoint,
        **given(retention=None if days is None else _retention(scope, days)),
    )
    extra_alarms: list[cloudwatch.IAlarm] = []
    if settings.model_error_log_alarm:
        extra_alarms.append(log_group.alarm_on_model_errors(actions=plan.topic.actions))
    if settings.endpoint_event_rules:
        EndpointEventRules(
            scope, "EndpointEvents", topic=plan.topic.topic, endpoint_names=[endpoint_name]
        )
    if settings.audit_trail:
        trail = AuditTrail(scope, "AuditTrail", actions=plan.topic.actions)
        extra_alarms.append(trail.endpoint_changes_alarm)
    if settings.dashboard:
        EndpointDashboard(
            scope,
            "Dashboard",
            endpoint=endpoint,
            alarms=[*plan.alarms.all_alarms, *extra_alarms],
        )


def _settings(kind: str, tuning: AlarmTuning) -> AlarmSettings:
    """The kind's settings in the library: its own defaults, with what the config sets."""
    info = ALARM_KINDS[AlarmKind(kind)]
    values = given(
        enabled=tuning.enabled,
        # The config gives thresholds in the kind's unit (milliseconds for latency, ...).
        threshold=None if tuning.threshold is None else info.config_threshold(tuning.threshold),
        percentile=tuning.percentile,
        period=None if tuning.period_minutes is None else Duration.minutes(tuning.period_minutes),
        evaluation_periods=tuning.evaluation_periods,
        datapoints_to_alarm=tuning.datapoints_to_alarm,
        treat_missing_data=(
            None if tuning.treat_missing_data is None else MISSING_DATA[tuning.treat_missing_data]
        ),
        evaluate_low_sample_count_percentile=tuning.evaluate_low_sample_count_percentile,
    )
    # Start from the kind's own defaults (4XX and 5XX rates differ, for example).
    return dataclasses.replace(info.default, **values)


def _retention(scope: Construct, days: int) -> logs.RetentionDays:
    """The library's retention period of ``days``; refused like any prop when there is none."""
    try:
        return retention_from_days(days)
    except ValueError:
        raise InvalidPropsError(
            f"{scope.node.path}/EndpointLogs",
            "retention",
            days,
            "is not a CloudWatch Logs retention period",
            f"use one of {', '.join(map(str, RETENTION_DAYS))} days",
        ) from None
