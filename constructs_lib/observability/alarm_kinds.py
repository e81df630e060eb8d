"""The alarm-kind registry: everything the library knows about each kind, in one entry.

:data:`ALARM_KINDS` maps every :class:`~constructs_lib.observability.AlarmKind` to an
:class:`AlarmKindInfo`: what it watches (a metric built from the one metrics source), the
unit of its threshold, its default settings, where it applies (instance, serverless and
async variants, or the async endpoint as a whole) and whether it may guard a deployment.
:class:`~constructs_lib.observability.EndpointAlarms`, the dashboard and the reference
app's config schema read this table; adding a kind is one entry here plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import IConstruct

from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import _metrics
from constructs_lib.observability._targets import EndpointTarget, ResolvedVariant
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
from constructs_lib.serving.metrics import EndpointMetrics, VariantMetrics

__all__ = [
    "ALARM_KINDS",
    "LOW_TRAFFIC_KINDS",
    "AlarmKindInfo",
    "resolve_settings",
    "rollback_refusal",
]

#: Builds the metric an alarm of a kind watches, for one variant (None: endpoint level).
MetricBuilder = Callable[
    [EndpointTarget, "ResolvedVariant | None", AlarmSettings], cloudwatch.IMetric
]


@dataclass(frozen=True)
class AlarmKindInfo:
    """One alarm kind: what it watches, its unit and defaults, and where it applies.

    :param description: what the kind watches, for alarm descriptions.
    :param unit: the unit of the threshold as a person (and the config file) gives it.
    :param default: the settings when none are given.
    :param metric: builds the watched metric from the endpoint's metrics.
    :param instance: applies to instance-backed variants.
    :param serverless: applies to serverless variants.
    :param on_async: applies to the variants of async endpoints.
    :param endpoint_level: one alarm per async endpoint, not per variant.
    :param needs_vcpus: needs the instance type's vCPU count (normalized CPU).
    :param needs_gpus: needs the instance type's GPU count; applies to GPU types only.
    :param guards_rollback: may be a deployment's rollback alarm. False for kinds that alarm
        on low or vanished traffic: SageMaker terminates a deployment when the old fleet
        trips a rollback alarm, so every update of a quiet endpoint would roll back.
    :param config_threshold: turns a threshold given as a number in ``unit`` into the
        settings' threshold (a Duration for time kinds). Default: the number itself.
    """

    description: str
    unit: str
    default: AlarmSettings
    metric: MetricBuilder
    instance: bool = True
    serverless: bool = True
    on_async: bool = True
    endpoint_level: bool = False
    needs_vcpus: bool = False
    needs_gpus: bool = False
    guards_rollback: bool = True
    config_threshold: Callable[[float], object] = float

    def applies_to(self, variant: ResolvedVariant, is_async: bool) -> bool:
        """Whether an alarm of this kind exists for ``variant`` of an (async) endpoint."""
        if self.endpoint_level or (is_async and not self.on_async):
            return False
        if variant.serverless:
            return self.serverless
        if not self.instance or variant.instance_type is None:
            return False
        if self.needs_gpus:
            return bool(variant.gpus)
        return variant.vcpus is not None if self.needs_vcpus else True


def _variant(variant: ResolvedVariant | None) -> ResolvedVariant:
    assert variant is not None, "a per-variant kind needs a variant"
    return variant


def _latency(t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings) -> cloudwatch.IMetric:
    assert isinstance(s, LatencyAlarm)
    metrics = t.metrics.variant(_variant(v).name)
    return metrics.model_latency(statistic=f"p{s.percentile:g}", period=s.period)


def _error_rate(code: str) -> MetricBuilder:
    def build(t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings) -> cloudwatch.IMetric:
        assert isinstance(s, ErrorRateAlarm)
        return _metrics.error_rate(t, _variant(v).name, code, s.period, s.min_invocations)

    return build


def _error_mix(
    t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings
) -> cloudwatch.IMetric:
    assert isinstance(s, ErrorMixAlarm)
    return _metrics.error_mix(t, _variant(v).name, s.period, s.min_errors)


def _normalized(kind: str) -> MetricBuilder:
    def build(t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings) -> cloudwatch.IMetric:
        return _metrics.normalized_utilization(t, _variant(v), kind, s.period)

    return build


def _variant_metric(pick: Callable[[VariantMetrics, Duration], cloudwatch.Metric]) -> MetricBuilder:
    """A per-variant metric as SageMaker publishes it."""

    def build(t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings) -> cloudwatch.IMetric:
        return pick(t.metrics.variant(_variant(v).name), s.period)

    return build


def _endpoint_metric(
    pick: Callable[[EndpointMetrics, Duration], cloudwatch.Metric],
) -> MetricBuilder:
    """An endpoint-level (async) metric as SageMaker publishes it."""

    def build(t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings) -> cloudwatch.IMetric:
        return pick(t.metrics, s.period)

    return build


def _serverless_concurrency(
    t: EndpointTarget, v: ResolvedVariant | None, s: AlarmSettings
) -> cloudwatch.IMetric:
    return _metrics.serverless_concurrency(t, _variant(v).name, s.period)


_PERCENT = "percent"

#: Every alarm kind, in the order alarms are created for a variant.
ALARM_KINDS: Mapping[AlarmKind, AlarmKindInfo] = MappingProxyType(
    {
        AlarmKind.MODEL_LATENCY: AlarmKindInfo(
            "Model latency",
            "milliseconds",
            LatencyAlarm(),
            _latency,
            config_threshold=Duration.millis,
        ),
        AlarmKind.SERVER_ERROR_RATE: AlarmKindInfo(
            "5XX error rate",
            "percent of invocations",
            ErrorRateAlarm(threshold=1),
            _error_rate("5XX"),
            on_async=False,
        ),
        AlarmKind.CLIENT_ERROR_RATE: AlarmKindInfo(
            "4XX error rate",
            "percent of invocations",
            ErrorRateAlarm(threshold=5),
            _error_rate("4XX"),
            on_async=False,
        ),
        AlarmKind.ERROR_MIX: AlarmKindInfo(
            "5XX share of all errors",
            "percent of errors that are 5XX",
            ErrorMixAlarm(),
            _error_mix,
        ),
        AlarmKind.INVOCATIONS: AlarmKindInfo(
            "Invocation count",
            "invocations per period (alarm below)",
            InvocationsAlarm(),
            _variant_metric(lambda m, p: m.invocations(period=p)),
            on_async=False,
            guards_rollback=False,
        ),
        AlarmKind.CPU_UTILIZATION: AlarmKindInfo(
            "CPU utilization (normalized by vCPUs)",
            "percent (normalized by vCPUs)",
            UtilizationAlarm(threshold=90),
            _normalized("cpu"),
            needs_vcpus=True,
            serverless=False,
        ),
        AlarmKind.MEMORY_UTILIZATION: AlarmKindInfo(
            "Memory utilization",
            _PERCENT,
            UtilizationAlarm(threshold=90),
            _variant_metric(lambda m, p: m.memory_utilization(period=p)),
            serverless=False,
        ),
        AlarmKind.DISK_UTILIZATION: AlarmKindInfo(
            "Disk utilization",
            _PERCENT,
            UtilizationAlarm(threshold=75),
            _variant_metric(lambda m, p: m.disk_utilization(period=p)),
            serverless=False,
        ),
        AlarmKind.GPU_UTILIZATION: AlarmKindInfo(
            "GPU utilization (normalized by GPUs)",
            "percent (normalized by GPUs)",
            UtilizationAlarm(threshold=90),
            _normalized("gpu"),
            needs_gpus=True,
            serverless=False,
        ),
        AlarmKind.GPU_MEMORY_UTILIZATION: AlarmKindInfo(
            "GPU memory utilization (normalized by GPUs)",
            "percent (normalized by GPUs)",
            UtilizationAlarm(threshold=90),
            _normalized("gpumem"),
            needs_gpus=True,
            serverless=False,
        ),
        AlarmKind.MODEL_SETUP_TIME: AlarmKindInfo(
            "Serverless cold-start time (ModelSetupTime)",
            "milliseconds",
            ServerlessAlarm(),
            _variant_metric(lambda m, p: m.model_setup_time(period=p)),
            config_threshold=Duration.millis,
            instance=False,
            on_async=False,
        ),
        AlarmKind.SERVERLESS_CONCURRENCY: AlarmKindInfo(
            "Serverless concurrency utilization",
            _PERCENT,
            UtilizationAlarm(threshold=90),
            _serverless_concurrency,
            instance=False,
            on_async=False,
        ),
        AlarmKind.BACKLOG_SIZE: AlarmKindInfo(
            "Async backlog size",
            "queued requests",
            BacklogAlarm(threshold=100),
            _endpoint_metric(lambda m, p: m.approximate_backlog_size(period=p)),
            endpoint_level=True,
        ),
        AlarmKind.BACKLOG_AGE: AlarmKindInfo(
            "Age of the oldest queued async request",
            "seconds",
            BacklogAgeAlarm(),
            _endpoint_metric(lambda m, p: m.approximate_age_of_oldest_request(period=p)),
            config_threshold=Duration.seconds,
            endpoint_level=True,
        ),
        AlarmKind.BACKLOG_WITHOUT_CAPACITY: AlarmKindInfo(
            "Async backlog without capacity",
            "count",
            BacklogAlarm(threshold=0),
            _endpoint_metric(lambda m, p: m.has_backlog_without_capacity(period=p)),
            endpoint_level=True,
        ),
    }
)

#: Kinds that alarm on low or vanished traffic, so they never guard a deployment.
LOW_TRAFFIC_KINDS: frozenset[AlarmKind] = frozenset(
    k for k, info in ALARM_KINDS.items() if not info.guards_rollback
)
assert set(ALARM_KINDS) == set(AlarmKind) and set(DEFAULT_CRITICAL_KINDS) <= set(ALARM_KINDS)


def rollback_refusal(kind: AlarmKind, settings: AlarmSettings) -> str | None:
    """Why alarms of ``kind`` with ``settings`` must not be rollback alarms, or None.

    SageMaker terminates a guarded deployment when a rollback alarm is in ALARM, also when
    the old fleet trips it, so an alarm that fires on low traffic or on missing data would
    roll back every update of a quiet endpoint.
    """
    if not ALARM_KINDS[kind].guards_rollback:
        return "alarms on low or vanished traffic"
    if settings.treat_missing_data == cloudwatch.TreatMissingData.BREACHING:
        return "treats missing data as breaching"
    return None


def resolve_settings(
    scope: IConstruct | str, given: Mapping[AlarmKind, AlarmSettings] | None
) -> dict[AlarmKind, AlarmSettings]:
    """The settings of every kind (the kind's default where none is given), each checked."""
    given = dict(given or {})
    for key in given:
        if not isinstance(key, AlarmKind):
            raise InvalidPropsError(
                scope,
                "settings",
                key,
                "is not an AlarmKind",
                "key the settings by AlarmKind members, e.g. {AlarmKind.MODEL_LATENCY: ...}",
            )
    settings: dict[AlarmKind, AlarmSettings] = {}
    for kind, info in ALARM_KINDS.items():
        chosen = given.get(kind)
        settings[kind] = info.default if chosen is None else chosen
        prop, expected = f"settings[{kind.value}]", type(info.default)
        if not isinstance(settings[kind], expected):
            raise InvalidPropsError(
                scope,
                prop,
                type(settings[kind]).__name__,
                f"is not a {expected.__name__}",
                f"pass {expected.__name__}(...)",
            )
        settings[kind].validate(scope, prop)
    return settings
