"""CloudWatch alarms for a SageMaker endpoint, per production variant, with sane defaults.

:class:`EndpointAlarms` watches one endpoint: tail latency, 5XX and 4XX error rates, the
error-class mix, vanished traffic, normalized CPU / memory / disk / GPU utilization
(instance variants), cold starts and concurrency (serverless variants) and the request
backlog (async endpoints). Each kind of alarm (:class:`AlarmKind`) is switched and tuned by
a small frozen settings object (:class:`LatencyAlarm`, :class:`ErrorRateAlarm`, ...; see
:mod:`~constructs_lib.observability.alarm_settings`). The critical alarms are joined into
one composite alarm that pages; :attr:`EndpointAlarms.rollback_alarms` are the metric
alarms a guarded deployment rolls back on.

It monitors either an :class:`~constructs_lib.serving.Endpoint` object, or an endpoint known
only by name and variant descriptions (:class:`MonitoredVariant`), so that rollback alarms
can exist before their endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Names, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from constructs_lib.core import InvalidPropsError, is_token, require
from constructs_lib.observability import _metrics
from constructs_lib.observability._targets import EndpointTarget, ResolvedVariant
from constructs_lib.observability.actions import AlarmActions, _check_actions
from constructs_lib.observability.alarm_kinds import (
    ALARM_KINDS,
    LOW_TRAFFIC_KINDS,
    resolve_settings,
    rollback_refusal,
)
from constructs_lib.observability.alarm_settings import (
    DEFAULT_CRITICAL_KINDS,
    AlarmKind,
    AlarmSettings,
    LatencyAlarm,
)
from constructs_lib.observability.variants import MonitoredVariant
from constructs_lib.serving.endpoint import Endpoint
from constructs_lib.serving.facts import MAX_ROLLBACK_ALARMS

__all__ = ["EndpointAlarms", "MonitoredAlarm"]

#: The most underlying alarms one composite alarm rule may name.
MAX_COMPOSITE_CHILDREN = 100


class EndpointAlarms(Construct):
    """Alarms for every production variant of one SageMaker endpoint, plus a composite.

    Give ``endpoint`` (an :class:`~constructs_lib.serving.Endpoint`), or ``endpoint_name``
    with ``variants`` (and ``is_async``) when the alarms must exist before the endpoint, as
    auto-rollback alarms do::

        alarms = EndpointAlarms(self, "Alarms", endpoint_name="churn",
                                variants=[MonitoredVariant("blue", instance_type="ml.m5.large")],
                                actions=topic.actions)
        Endpoint(self, "Endpoint", endpoint_name="churn", variants=[...],
                 deployment_policy=DeploymentPolicy.canary(
                     rollback_alarms=alarms.rollback_alarms))

    Alarms created per production variant (each kind can be disabled or tuned):

    - every variant: model latency at a percentile, 5XX and 4XX error rates (not on async
      endpoints, which publish no ``Invocations``), the 5XX share of all errors, and
      invocations dropping below a minimum (not on async endpoints);
    - instance variants: CPU utilization normalized by the vCPU count, memory and disk
      utilization, and GPU and GPU-memory utilization normalized by the GPU count on GPU
      instance types;
    - serverless variants: cold-start time (``ModelSetupTime``) and concurrency utilization;
    - async endpoints (endpoint level): backlog size, age of the oldest request and backlog
      without capacity.

    Rollback: :attr:`rollback_alarms` are the metric alarms of the ``rollback`` kinds on
    the production variants, as SageMaker documents rollback alarms (metric alarms, at most
    10 per deployment). SageMaker terminates a deployment when the *old* fleet trips a
    rollback alarm, so a kind that alarms on low traffic (``AlarmKind.INVOCATIONS``) or an
    alarm that treats missing data as breaching is never in that set: naming one in
    ``rollback`` is refused. The :attr:`composite` pages; SageMaker does not document
    composite alarms as rollback alarms (``DeploymentPolicy`` accepts one only with
    ``allow_composite_alarms=True``).

    :param actions: what every alarm, and the composite, does on ALARM / OK. Required:
        pass e.g. ``NotificationTopic.actions``, or ``AlarmActions.none(reason=...)``.
    :param endpoint: the endpoint to watch. Default: none (then ``endpoint_name`` and
        ``variants`` are required).
    :param endpoint_name: the name of the endpoint to watch, when ``endpoint`` is not given.
        Default: none.
    :param variants: the endpoint's variants, with ``endpoint_name``. Default: none.
    :param is_async: the named endpoint is asynchronous (with ``endpoint_name`` only; an
        ``endpoint`` says so itself). Default: False.
    :param include_shadow: also alarm on the shadow variant (never critical). Default: False.
    :param alarm_name_prefix: alarm names are ``<prefix>-<variant>-<kind>`` and the composite
        ``<prefix>-critical``. Default: the endpoint name when it is known at synth time,
        else a stable name derived from the construct path.
    :param vcpus: vCPU counts by instance type, for types missing from the built-in table
        (e.g. ``{"ml.m7i.48xlarge": 192}``). Default: the built-in table only.
    :param gpus: GPU counts by instance type, for GPU types missing from the built-in table.
        Default: the built-in table only.
    :param settings: how each kind decides, keyed by :class:`AlarmKind`, e.g.
        ``{AlarmKind.MODEL_LATENCY: LatencyAlarm(percentile=99.9), AlarmKind.ERROR_MIX:
        ErrorMixAlarm(enabled=False)}``. Default: each kind's defaults from the alarm-kind
        registry (:data:`~constructs_lib.observability.ALARM_KINDS`): p99 latency above
        500 ms, 5XX above 1 % and 4XX above 5 % of invocations, 5XX above 50 % of at least
        10 errors, fewer than 1 invocation in three 5-minute periods (missing data
        breaching), CPU and memory above 90 %, disk above 75 %, GPU above 90 %, serverless
        cold starts above 10 s and concurrency above 90 %, async backlog above 100 requests,
        older than 30 minutes, or queued without capacity.
    :param critical: the kinds joined into :attr:`composite`. Default:
        :data:`DEFAULT_CRITICAL_KINDS` (latency, 5XX rate, invocations, backlog age; each
        where it exists).
    :param rollback: the kinds whose alarms form :attr:`rollback_alarms`. Default: the
        ``critical`` kinds that may guard a deployment (not low-traffic kinds, not alarms
        that breach on missing data).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        actions: AlarmActions,
        endpoint: Endpoint | None = None,
        endpoint_name: str | None = None,
        variants: Sequence[MonitoredVariant] | None = None,
        is_async: bool = False,
        include_shadow: bool = False,
        alarm_name_prefix: str | None = None,
        vcpus: Mapping[str, int] | None = None,
        gpus: Mapping[str, int] | None = None,
        settings: Mapping[AlarmKind, AlarmSettings] | None = None,
        critical: Sequence[AlarmKind] | None = None,
        rollback: Sequence[AlarmKind] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        #: The actions every alarm and the composite run.
        self.actions: AlarmActions = _check_actions(self, "actions", actions)
        #: The settings in force for every kind (defaults filled in).
        self.settings: Mapping[AlarmKind, AlarmSettings] = resolve_settings(self, settings)
        enabled = {kind for kind, s in self.settings.items() if s.enabled}
        #: The monitored endpoint and variants.
        self.target = EndpointTarget.resolve(
            self,
            endpoint,
            endpoint_name,
            variants,
            is_async,
            include_shadow,
            vcpus,
            gpus,
            need_cpu=any(ALARM_KINDS[k].needs_vcpus for k in enabled),
            need_gpu=any(ALARM_KINDS[k].needs_gpus for k in enabled),
        )
        #: The endpoint's name (a token for an endpoint with a generated name).
        self.endpoint_name: str = self.target.endpoint_name
        #: The first part of every alarm name.
        self.alarm_name_prefix: str = _prefix(self, alarm_name_prefix, self.target)
        critical_kinds = tuple(DEFAULT_CRITICAL_KINDS if critical is None else critical)
        for i, kind in enumerate(critical_kinds):
            require(
                isinstance(kind, AlarmKind),
                self,
                f"critical[{i}]",
                kind,
                "is not an AlarmKind",
                "pass AlarmKind members, e.g. AlarmKind.MODEL_LATENCY",
            )
        self._critical_kinds = frozenset(critical_kinds)
        self._rollback_kinds = self._resolve_rollback(critical_kinds, rollback)
        self._variants_scope = Construct(self, "Variants")
        self._names: set[str] = set()
        self._endpoint_label = self.target.fixed_name or self.alarm_name_prefix

        found: list[MonitoredAlarm] = []
        for variant in self.target.variants:
            found.extend(self._variant_alarms(variant))
        if self.target.is_async:
            found.extend(self._endpoint_alarms())
        #: Every metric alarm, with its kind and variant.
        self.alarms: tuple[MonitoredAlarm, ...] = tuple(found)
        #: The metric alarms joined into :attr:`composite`.
        self.critical_alarms: tuple[cloudwatch.Alarm, ...] = tuple(
            a.alarm for a in found if a.critical
        )
        #: Any critical alarm in ALARM, for paging. None when no critical alarm exists
        #: (every critical kind disabled).
        self.composite: cloudwatch.CompositeAlarm | None = self._composite()

    @property
    def rollback_alarms(self) -> tuple[cloudwatch.Alarm, ...]:
        """The metric alarms to pass as a deployment's ``rollback_alarms`` (at most 10).

        Raises :class:`~constructs_lib.core.InvalidPropsError` when the ``rollback`` kinds
        make more than SageMaker's limit of 10.
        """
        chosen = tuple(a.alarm for a in self.alarms if a.rollback)
        require(
            len(chosen) <= MAX_ROLLBACK_ALARMS,
            self,
            "rollback",
            f"{len(chosen)} alarms ({', '.join(str(a) for a in self.alarms if a.rollback)})",
            f"exceeds the {MAX_ROLLBACK_ALARMS} rollback alarms SageMaker accepts per deployment",
            "name fewer kinds in rollback=[...] (e.g. [AlarmKind.SERVER_ERROR_RATE]), "
            "or split the variants over several endpoints",
        )
        return chosen

    # -- public helpers ---------------------------------------------------------------------

    @property
    def all_alarms(self) -> list[cloudwatch.IAlarm]:
        """Every metric alarm and the composite, e.g. for an alarm status widget."""
        result: list[cloudwatch.IAlarm] = [a.alarm for a in self.alarms]
        if self.composite is not None:
            result.append(self.composite)
        return result

    def find(self, kind: AlarmKind, variant_name: str | None = None) -> cloudwatch.Alarm:
        """Return the alarm of ``kind`` on ``variant_name`` (None: endpoint-level kinds)."""
        for a in self.alarms:
            if a.kind == kind and a.variant_name == variant_name:
                return a.alarm
        raise InvalidPropsError(
            self,
            "kind",
            f"{kind} on {variant_name or 'the endpoint'}",
            "was not created",
            "check that the kind is enabled and applies to that variant "
            f"(created: {', '.join(sorted({str(a) for a in self.alarms}))})",
        )

    # -- alarm builders ---------------------------------------------------------------------

    def _variant_alarms(self, variant: ResolvedVariant) -> list[MonitoredAlarm]:
        scope = Construct(self._variants_scope, variant.name)
        result: list[MonitoredAlarm] = []
        for kind, info in ALARM_KINDS.items():
            setting = self.settings[kind]
            if not setting.enabled or not info.applies_to(variant, self.target.is_async):
                continue
            metric = info.metric(self.target, variant, setting)
            alarm = self._alarm(scope, kind, variant.name, metric, setting)
            critical = kind in self._critical_kinds and not variant.shadow
            rollback = kind in self._rollback_kinds and not variant.shadow
            result.append(MonitoredAlarm(kind, variant.name, alarm, critical, rollback))
        return result

    def _endpoint_alarms(self) -> list[MonitoredAlarm]:
        result: list[MonitoredAlarm] = []
        for kind, info in ALARM_KINDS.items():
            setting = self.settings[kind]
            if not setting.enabled or not info.endpoint_level:
                continue
            alarm = self._alarm(self, kind, None, info.metric(self.target, None, setting), setting)
            critical, rollback = kind in self._critical_kinds, kind in self._rollback_kinds
            result.append(MonitoredAlarm(kind, None, alarm, critical, rollback))
        return result

    def _resolve_rollback(
        self, critical: Sequence[AlarmKind], rollback: Sequence[AlarmKind] | None
    ) -> frozenset[AlarmKind]:
        if rollback is None:
            return frozenset(
                k
                for k in critical
                if self.settings[k].enabled and rollback_refusal(k, self.settings[k]) is None
            )
        for i, kind in enumerate(rollback):
            require(
                isinstance(kind, AlarmKind),
                self,
                f"rollback[{i}]",
                kind,
                "is not an AlarmKind",
                "pass AlarmKind members, e.g. AlarmKind.SERVER_ERROR_RATE",
            )
            require(
                self.settings[kind].enabled,
                self,
                f"rollback[{i}]",
                kind.value,
                "is a disabled alarm kind",
                f"enable settings[{kind.value}], or leave {kind.value} out of rollback",
            )
            reason = rollback_refusal(kind, self.settings[kind])
            if reason is not None:
                raise InvalidPropsError(
                    self,
                    f"rollback[{i}]",
                    kind.value,
                    f"{reason}: SageMaker terminates a deployment when the old fleet trips a "
                    "rollback alarm, so every update of an endpoint without traffic would roll "
                    "back",
                    f"leave {kind.value} out of rollback (it can still page through critical)"
                    + (
                        ""
                        if kind in LOW_TRAFFIC_KINDS
                        else f", or set settings[{kind.value}].treat_missing_data to NOT_BREACHING"
                    ),
                )
        return frozenset(rollback)

    def _alarm(
        self,
        scope: Construct,
        kind: AlarmKind,
        variant_name: str | None,
        metric: cloudwatch.IMetric,
        s: AlarmSettings,
    ) -> cloudwatch.Alarm:
        if isinstance(metric, cloudwatch.MathExpression):
            _metrics.check_metric_count(self, f"settings[{kind.value}]", metric)
        parts = [self.alarm_name_prefix, *([variant_name] if variant_name else []), kind.value]
        name = "-".join(parts)
        _check_alarm_name(self, name)
        require(
            name not in self._names,
            self,
            "variants",
            name,
            "is the alarm name of two alarms (variant names that end like alarm kinds)",
            "rename one of the variants",
        )
        self._names.add(name)
        where = f" on variant {variant_name}" if variant_name else ""
        alarm = cloudwatch.Alarm(
            scope,
            kind.construct_id,
            alarm_name=name,
            alarm_description=(
                f"{kind.description}{where} of SageMaker endpoint "
                f"{self._endpoint_label}: {s.describe()}."
            ),
            metric=metric,
            threshold=s.metric_threshold(),
            evaluation_periods=s.evaluation_periods,
            datapoints_to_alarm=s.datapoints_to_alarm,
            comparison_operator=s.comparison_operator,
            treat_missing_data=s.treat_missing_data,
            evaluate_low_sample_count_percentile=_low_samples(s),
        )
        self.actions.apply(alarm)
        return alarm

    def _composite(self) -> cloudwatch.CompositeAlarm | None:
        children = self.critical_alarms
        if not children:
            return None
        require(
            len(children) <= MAX_COMPOSITE_CHILDREN,
            self,
            "critical",
            f"{len(children)} alarms",
            f"exceeds the {MAX_COMPOSITE_CHILDREN} alarms a composite alarm may name",
            "mark fewer kinds critical",
        )
        name = f"{self.alarm_name_prefix}-critical"
        _check_alarm_name(self, name)
        composite = cloudwatch.CompositeAlarm(
            self,
            "Critical",
            composite_alarm_name=name,
            alarm_description=(
                f"Any critical alarm of SageMaker endpoint {self._endpoint_label} is in "
                "ALARM. Page on it; roll deployments back on the metric alarms themselves."
            ),
            alarm_rule=cloudwatch.AlarmRule.any_of(
                *(cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM) for a in children)
            ),
        )
        self.actions.apply(composite)
        return composite


@dataclass(frozen=True)
class MonitoredAlarm:
    """One alarm of :class:`EndpointAlarms`: its kind, its variant and the alarm.

    :param kind: what it watches.
    :param variant_name: the variant, or None for endpoint-level (async backlog) alarms.
    :param alarm: the CloudWatch alarm.
    :param critical: whether the composite alarm includes it.
    :param rollback: whether it is one of :attr:`EndpointAlarms.rollback_alarms`.
    """

    kind: AlarmKind
    variant_name: str | None
    alarm: cloudwatch.Alarm
    critical: bool
    rollback: bool = False

    def __str__(self) -> str:
        return f"{self.variant_name or '<endpoint>'}/{self.kind.value}"


# -- private helpers ----------------------------------------------------------------------------

_MAX_ALARM_NAME = 255


def _low_samples(s: AlarmSettings) -> str | None:
    if not isinstance(s, LatencyAlarm):
        return None
    return "evaluate" if s.evaluate_low_sample_count_percentile else "ignore"


def _check_alarm_name(scope: Construct, name: str) -> None:
    if Token.is_unresolved(name):
        return
    require(
        len(name) <= _MAX_ALARM_NAME and all(c.isprintable() for c in name),
        scope,
        "alarm_name_prefix",
        name,
        f"makes an alarm name longer than {_MAX_ALARM_NAME} characters or unprintable",
        "pass a shorter alarm_name_prefix of printable characters",
    )


def _prefix(scope: Construct, prefix: str | None, target: EndpointTarget) -> str:
    if prefix is not None:
        require(
            is_token(prefix) or (bool(prefix.strip()) and prefix == prefix.strip()),
            scope,
            "alarm_name_prefix",
            prefix,
            "is empty or has surrounding spaces",
            "pass a short readable prefix, e.g. the endpoint's name",
        )
        return prefix
    if target.fixed_name is not None:
        return target.fixed_name
    owner: IConstruct = target.endpoint if target.endpoint is not None else scope
    return Names.unique_resource_name(owner, max_length=96, separator="-")
