"""Which endpoint and variants alarms and dashboards watch, and how they build its metrics.

:class:`~constructs_lib.observability.EndpointAlarms` and
:class:`~constructs_lib.observability.EndpointDashboard` watch either an
:class:`~constructs_lib.serving.Endpoint` object, or an endpoint known only by its name and
variant descriptions (:class:`~constructs_lib.observability.MonitoredVariant`). The
second form exists for rollback alarms: SageMaker needs them to exist before the endpoint,
so they cannot reference the endpoint resource without a circular dependency.

:meth:`EndpointTarget.resolve` checks either form once for both constructs and yields the
variants with their vCPU and GPU counts; :attr:`EndpointTarget.metrics` builds the same
metrics either way, from the library's one metrics source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib.core import (
    InvalidPropsError,
    check_name,
    check_range,
    check_unique,
    is_token,
    require,
)
from constructs_lib.observability._validation import check_endpoint
from constructs_lib.observability._vcpus import GPU_FAMILIES, lookup
from constructs_lib.observability.variants import MonitoredVariant
from constructs_lib.serving.endpoint import Endpoint
from constructs_lib.serving.instance_types import INSTANCE_TYPE_PATTERN, family_of
from constructs_lib.serving.metrics import EndpointMetrics

__all__ = ["EndpointTarget", "ResolvedVariant"]


@dataclass(frozen=True)
class ResolvedVariant:
    """A monitored variant with its vCPU and GPU counts (None when unknown or serverless)."""

    name: str
    instance_type: str | None
    serverless: bool
    shadow: bool
    vcpus: int | None = None
    gpus: int | None = None


@dataclass(frozen=True)
class EndpointTarget:
    """An endpoint whose metrics alarms and dashboards read; build it with :meth:`resolve`.

    With an :class:`Endpoint` or a name, :attr:`metrics` builds the same metrics.
    """

    endpoint_name: str
    variants: tuple[ResolvedVariant, ...]
    is_async: bool
    endpoint: Endpoint | None = None
    fixed_name: str | None = None

    @staticmethod
    def resolve(
        scope: Construct,
        endpoint: Endpoint | None,
        endpoint_name: str | None,
        variants: Sequence[MonitoredVariant] | None,
        is_async: bool,
        include_shadow: bool,
        vcpus: Mapping[str, int] | None,
        gpus: Mapping[str, int] | None,
        /,
        *,
        need_cpu: bool = True,
        need_gpu: bool = True,
    ) -> EndpointTarget:
        """Check the props that say what to watch, and describe every watched variant.

        The positional arguments are the props of the same names that every construct
        watching an endpoint takes, in the same order, passed on unchanged.

        :param need_cpu: refuse instance types whose vCPU count is unknown.
        :param need_gpu: refuse GPU instance types whose GPU count is unknown.
        """
        _check_counts(scope, "vcpus", vcpus)
        _check_counts(scope, "gpus", gpus)
        if endpoint is not None:
            described = _describe_endpoint(scope, endpoint, endpoint_name, variants, is_async)
            is_async = endpoint.is_async
            fixed = endpoint.fixed_name
            name = endpoint.endpoint_name
        else:
            described = _check_named(scope, endpoint_name, variants)
            assert endpoint_name is not None
            fixed = name = endpoint_name
        resolved = tuple(
            _resolve_variant(scope, v, vcpus or {}, gpus or {}, need_cpu, need_gpu)
            for v in described
            if include_shadow or not v.shadow
        )
        fixed_name = fixed if fixed is not None and not is_token(fixed) else None
        return EndpointTarget(name, resolved, is_async, endpoint, fixed_name)

    @property
    def metrics(self) -> EndpointMetrics:
        """The watched endpoint's metrics (by name, so the same either way)."""
        return EndpointMetrics(self.endpoint_name)


# -- private helpers ----------------------------------------------------------------------------


def _describe_endpoint(
    scope: Construct,
    endpoint: Endpoint,
    endpoint_name: str | None,
    variants: Sequence[MonitoredVariant] | None,
    is_async: bool,
) -> list[MonitoredVariant]:
    check_endpoint(scope, endpoint, "endpoint_name= with variants=")
    for prop, value in (
        ("endpoint_name", endpoint_name),
        ("variants", variants),
        ("is_async", is_async or None),
    ):
        require(
            value is None,
            scope,
            prop,
            value,
            "was given together with endpoint",
            f"drop {prop}: the endpoint describes itself",
        )
    described = [
        MonitoredVariant(v.variant_name, v.instance_type, v.is_serverless)
        for v in endpoint.variants
    ]
    if endpoint.shadow_variant is not None:
        s = endpoint.shadow_variant
        described.append(MonitoredVariant(s.variant_name, s.instance_type, False, True))
    return described


def _check_named(
    scope: Construct, endpoint_name: str | None, variants: Sequence[MonitoredVariant] | None
) -> list[MonitoredVariant]:
    if endpoint_name is None or variants is None:
        raise InvalidPropsError(
            scope,
            "endpoint" if endpoint_name is None else "variants",
            None,
            "is missing",
            "pass endpoint=<Endpoint>, or endpoint_name= together with variants=",
        )
    check_name(scope, "endpoint_name", endpoint_name)
    if isinstance(variants, MonitoredVariant) or not variants:
        raise InvalidPropsError(
            scope,
            "variants",
            variants,
            "is empty or not a list",
            "pass a list of MonitoredVariant, e.g. "
            "[MonitoredVariant('blue', instance_type='ml.m5.large')]",
        )
    described = list(variants)
    for i, v in enumerate(described):
        _check_monitored_variant(scope, i, v)
    check_unique(scope, "variants[].name", [v.name for v in described])
    require(
        sum(1 for v in described if v.shadow) <= 1,
        scope,
        "variants",
        [v.name for v in described if v.shadow],
        "marks more than one variant as shadow",
        "an endpoint has at most one shadow variant",
    )
    return described


def _check_counts(scope: Construct, prop: str, counts: Mapping[str, int] | None) -> None:
    for instance_type, count in (counts or {}).items():
        check_range(scope, f"{prop}[{instance_type!r}]", count, 1, None, integer=True)


def _check_monitored_variant(scope: Construct, i: int, v: MonitoredVariant) -> None:
    if not isinstance(v, MonitoredVariant):
        raise InvalidPropsError(
            scope,
            f"variants[{i}]",
            type(v).__name__,
            "is not a MonitoredVariant",
            "describe each variant with MonitoredVariant(name, instance_type=... or "
            "serverless=True)",
        )
    prefix = f"variants[{v.name}]"
    check_name(scope, f"{prefix}.name", v.name)
    require(
        (v.instance_type is None) == v.serverless,
        scope,
        f"{prefix}.instance_type",
        v.instance_type,
        "and serverless=True are both set" if v.serverless else "is missing",
        "give either instance_type or serverless=True",
    )
    if v.instance_type is not None and not is_token(v.instance_type):
        require(
            bool(INSTANCE_TYPE_PATTERN.match(v.instance_type)),
            scope,
            f"{prefix}.instance_type",
            v.instance_type,
            "is not a SageMaker instance type",
            "use the form ml.<family>.<size>, e.g. ml.m5.large",
        )
    require(
        not (v.shadow and v.serverless),
        scope,
        f"{prefix}.shadow",
        True,
        "is set on a serverless variant; shadow variants are instance-backed",
        "give the shadow variant an instance_type",
    )


def _resolve_variant(
    scope: Construct,
    v: MonitoredVariant,
    vcpus: Mapping[str, int],
    gpus: Mapping[str, int],
    need_cpu: bool,
    need_gpu: bool,
) -> ResolvedVariant:
    t = v.instance_type
    if t is None:
        return ResolvedVariant(v.name, None, v.serverless, v.shadow)
    prop = f"variants[{v.name}].instance_type"
    if is_token(t):
        require(
            not need_cpu,
            scope,
            prop,
            "<unresolved token>",
            "is not known at synth time, so CPU utilization cannot be normalized",
            "pass a literal instance type, or disable cpu_utilization",
        )
        return ResolvedVariant(v.name, t, False, v.shadow)
    known = lookup(t)
    cpu_count = vcpus.get(t, known.vcpus if known else None)
    gpu_family = family_of(t) in GPU_FAMILIES
    gpu_count = gpus.get(t, known.gpus if known else (None if gpu_family else 0))
    require(
        cpu_count is not None or not need_cpu,
        scope,
        prop,
        t,
        "is not in the vCPU table, so CPU utilization cannot be normalized",
        f"pass vcpus={{{t!r}: <vCPU count>}}, or disable cpu_utilization",
    )
    require(
        gpu_count is not None or not need_gpu,
        scope,
        prop,
        t,
        "is a GPU type missing from the GPU table, so GPU utilization cannot be normalized",
        f"pass gpus={{{t!r}: <GPU count>}}, or disable gpu_utilization and gpu_memory_utilization",
    )
    return ResolvedVariant(v.name, t, False, v.shadow, cpu_count, gpu_count)
