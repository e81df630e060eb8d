"""The reference app's observability wiring: config -> alarms, logs, dashboard, audit, events.

Kept apart from the serving stack so each reads top-down: the stack decides *what* it
deploys, this module turns the observability config into constructs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_lib import Endpoint, ProductionVariant
from constructs_lib.observability import (
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
)

__all__ = ["EndpointAlarmsPlan", "add_endpoint_monitoring", "plan_endpoint_alarms"]

# How a config threshold (in the kind's unit, see config.ALARM_KINDS) becomes its value.
_DURATION_THRESHOLDS = {
    "model-latency": Duration.millis,
    "model-setup-time": Duration.millis,
    "backlog-age": Duration.seconds,
}


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
    (``composite``, an explicit opt-in) or none; a serverless endpoint (no ``deployment``)
    has none.
    """
    topic = NotificationTopic(
        scope,
        "Notifications",
        emails=notifications.emails,
        https_endpoints=notifications.https_endpoints,
    )
    tunings: dict[str, Any] = {
        AlarmKind(kind).prop: _settings(kind, tuning) for kind, tuning in settings.alarms.items()
    }
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
        **tunings,
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
    log_group = EndpointLogGroup(
        scope,
        "EndpointLogs",
        endpoint=endpoint,
        retention=retention_from_days(settings.log_retention_days),
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
    values: dict[str, Any] = {}
    if tuning.enabled is not None:
        values["enabled"] = tuning.enabled
    if tuning.threshold is not None:
        to_duration = _DURATION_THRESHOLDS.get(kind)
        values["threshold"] = to_duration(tuning.threshold) if to_duration else tuning.threshold
    if tuning.percentile is not None:
        values["percentile"] = tuning.percentile
    if tuning.period_minutes is not None:
        values["period"] = Duration.minutes(tuning.period_minutes)
    if tuning.evaluation_periods is not None:
        values["evaluation_periods"] = tuning.evaluation_periods
    if tuning.datapoints_to_alarm is not None:
        values["datapoints_to_alarm"] = tuning.datapoints_to_alarm
    if tuning.treat_missing_data is not None:
        values["treat_missing_data"] = MISSING_DATA[tuning.treat_missing_data]
    if tuning.evaluate_low_sample_count_percentile is not None:
        values["evaluate_low_sample_count_percentile"] = tuning.evaluate_low_sample_count_percentile
    # Start from the kind's own defaults (4XX and 5XX rates differ, for example).
    return dataclasses.replace(AlarmKind(kind).default_settings, **values)
