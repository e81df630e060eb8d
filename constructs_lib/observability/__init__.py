"""Observability: alarms, dashboards, logs, audit trail and notifications for endpoints.

Import everything from here; each concern lives in its own module:

- ``actions``: :class:`NotificationTopic` (an encrypted SNS topic for alarms and events) and
  :class:`AlarmActions`, what an alarm does on ALARM / OK. Every construct here that
  creates an alarm requires one; :meth:`AlarmActions.none` is the explicit opt-out and
  needs a reason, recorded as the compliance acknowledgment.
- ``alarms``: :class:`EndpointAlarms`, the alarms of one endpoint per variant, the metric
  alarms its deployments roll back on, and a composite that pages (:class:`MonitoredAlarm`:
  one of them).
- ``alarm_settings``: :class:`AlarmKind` and the settings that tune each kind
  (:class:`LatencyAlarm`, :class:`ErrorRateAlarm`, ...).
- ``dashboard``: :class:`EndpointDashboard`, the endpoint's CloudWatch dashboard.
- ``logs``: :class:`EndpointLogGroup`, the endpoint's log group created before the
  endpoint, with metric filters and their alarms (:class:`MetricFilterAlarm`).
- ``audit``: :class:`AuditTrail`, a CloudTrail trail that alarms on endpoint changes made
  outside deployments.
- ``events``: :class:`EndpointEventRules`, EventBridge rules that tell a topic when an
  endpoint fails or a deployment rolls back.

Alarms and dashboards watch an :class:`~constructs_lib.serving.Endpoint`, or an endpoint
known only by name whose variants :class:`MonitoredVariant` describes (so that rollback
alarms can exist before their endpoint); the private ``_targets`` module resolves either
form for both, and ``_metrics`` builds the metric math they share.
"""

from constructs_lib.observability.actions import (
    ALARM_ACTION_RULES,
    AlarmActions,
    NotificationTopic,
)
from constructs_lib.observability.alarm_kinds import (
    ALARM_KINDS,
    LOW_TRAFFIC_KINDS,
    AlarmKindInfo,
    resolve_settings,
    rollback_refusal,
)
from constructs_lib.observability.alarm_settings import (
    DEFAULT_CRITICAL_KINDS,
    AlarmKind,
    AlarmSettings,
    BacklogAgeAlarm,
    BacklogAlarm,
    ErrorMixAlarm,
    ErrorRateAlarm,
    InvocationsAlarm,
    LatencyAlarm,
    ServerlessAlarm,
    UtilizationAlarm,
)
from constructs_lib.observability.alarms import EndpointAlarms, MonitoredAlarm
from constructs_lib.observability.audit import (
    AUDIT_METRIC_NAMESPACE,
    ENDPOINT_CHANGE_EVENTS,
    MAX_FILTER_PATTERN_LENGTH,
    AuditTrail,
    endpoint_changes_filter_pattern,
    max_deployment_roles,
)
from constructs_lib.observability.dashboard import MAX_ALARMS_PER_WIDGET, EndpointDashboard
from constructs_lib.observability.events import (
    DEPLOYMENT_STATE_CHANGE,
    ENDPOINT_STATE_CHANGE,
    FAILED_STATUSES,
    ROLLBACK_STATUSES,
    EndpointEventRules,
)
from constructs_lib.observability.logs import (
    DEFAULT_ERROR_TERMS,
    DEFAULT_METRIC_NAMESPACE,
    ENDPOINT_LOG_GROUP_PREFIX,
    EndpointLogGroup,
    MetricFilterAlarm,
)
from constructs_lib.observability.retention import (
    RETENTION_DAYS,
    RETENTION_PERIODS,
    retention_from_days,
)
from constructs_lib.observability.variants import MonitoredVariant

__all__ = [
    "ALARM_ACTION_RULES",
    "ALARM_KINDS",
    "AUDIT_METRIC_NAMESPACE",
    "DEFAULT_CRITICAL_KINDS",
    "DEFAULT_ERROR_TERMS",
    "DEFAULT_METRIC_NAMESPACE",
    "DEPLOYMENT_STATE_CHANGE",
    "ENDPOINT_CHANGE_EVENTS",
    "ENDPOINT_LOG_GROUP_PREFIX",
    "ENDPOINT_STATE_CHANGE",
    "FAILED_STATUSES",
    "LOW_TRAFFIC_KINDS",
    "MAX_ALARMS_PER_WIDGET",
    "MAX_FILTER_PATTERN_LENGTH",
    "RETENTION_DAYS",
    "RETENTION_PERIODS",
    "ROLLBACK_STATUSES",
    "AlarmActions",
    "AlarmKind",
    "AlarmKindInfo",
    "AlarmSettings",
    "AuditTrail",
    "BacklogAgeAlarm",
    "BacklogAlarm",
    "EndpointAlarms",
    "EndpointDashboard",
    "EndpointEventRules",
    "EndpointLogGroup",
    "ErrorMixAlarm",
    "ErrorRateAlarm",
    "InvocationsAlarm",
    "LatencyAlarm",
    "MetricFilterAlarm",
    "MonitoredAlarm",
    "MonitoredVariant",
    "NotificationTopic",
    "ServerlessAlarm",
    "UtilizationAlarm",
    "endpoint_changes_filter_pattern",
    "max_deployment_roles",
    "resolve_settings",
    "retention_from_days",
    "rollback_refusal",
]
