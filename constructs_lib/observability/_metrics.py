"""Metric-math builders that alarms and dashboards share, and CloudWatch's metric limit.

Each builder turns SageMaker's raw metrics into the number a person reads: error rates and
the 5XX share in percent, CPU and GPU utilization normalized to 0-100 % by the instance's
vCPU or GPU count, serverless concurrency in percent. Alarms and dashboards use the same
builders, so a graph and the alarm watching it agree.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import IConstruct

from constructs_lib.core import require
from constructs_lib.observability._targets import EndpointTarget, ResolvedVariant

__all__ = [
    "MAX_METRICS_PER_ALARM",
    "check_metric_count",
    "count_metrics",
    "error_mix",
    "error_rate",
    "normalized_utilization",
    "serverless_concurrency",
]

#: CloudWatch's hard limit on metrics referenced by one metric-math alarm.
MAX_METRICS_PER_ALARM = 10


def error_rate(
    target: EndpointTarget, variant: str, code: str, period: Duration, min_invocations: int = 1
) -> cloudwatch.MathExpression:
    """``Invocation<code>Errors`` in percent of invocations (0 below ``min_invocations``)."""
    errors = f"e{code[0]}"
    metrics = target.metrics.variant(variant)
    error_metric = metrics.invocation_5xx_errors if code == "5XX" else metrics.invocation_4xx_errors
    return cloudwatch.MathExpression(
        expression=f"IF(inv >= {min_invocations}, 100 * FILL({errors}, 0) / inv, 0)",
        using_metrics={
            "inv": metrics.invocations(period=period),
            errors: error_metric(period=period),
        },
        label=f"{code} error rate (%)",
        period=period,
    )


def error_mix(
    target: EndpointTarget, variant: str, period: Duration, min_errors: int = 1
) -> cloudwatch.MathExpression:
    """5XX errors in percent of all errors (0 below ``min_errors`` errors)."""
    both = "(FILL(e4, 0) + FILL(e5, 0))"
    return cloudwatch.MathExpression(
        expression=f"IF({both} >= {min_errors}, 100 * FILL(e5, 0) / {both}, 0)",
        using_metrics={
            "e4": target.metrics.variant(variant).invocation_4xx_errors(period=period),
            "e5": target.metrics.variant(variant).invocation_5xx_errors(period=period),
        },
        label="5XX share of errors (%)",
        period=period,
    )


def normalized_utilization(
    target: EndpointTarget, variant: ResolvedVariant, kind: str, period: Duration
) -> cloudwatch.MathExpression:
    """CPU, GPU or GPU-memory utilization divided by the vCPU or GPU count: 0-100 %.

    :param kind: ``cpu``, ``gpu`` or ``gpumem``.
    """
    metrics = target.metrics.variant(variant.name)
    raw, readable = {
        "cpu": (metrics.cpu_utilization, "CPU utilization"),
        "gpu": (metrics.gpu_utilization, "GPU utilization"),
        "gpumem": (metrics.gpu_memory_utilization, "GPU memory utilization"),
    }[kind]
    count = variant.vcpus if kind == "cpu" else variant.gpus
    assert count, f"{readable} of variant {variant.name} needs a known count"
    unit = ("vCPU" if kind == "cpu" else "GPU") + ("" if count == 1 else "s")
    return cloudwatch.MathExpression(
        expression=f"{kind} / {count}",
        using_metrics={kind: raw(period=period)},
        label=f"{readable} (% of {count} {unit})",
        period=period,
    )


def serverless_concurrency(
    target: EndpointTarget, variant: str, period: Duration
) -> cloudwatch.MathExpression:
    """``ServerlessConcurrentExecutionsUtilization`` (a 0-1 ratio) in percent."""
    return cloudwatch.MathExpression(
        expression="100 * conc",
        using_metrics={
            "conc": target.metrics.variant(variant).serverless_concurrency_utilization(
                period=period
            )
        },
        label="Concurrency utilization (%)",
        period=period,
    )


def count_metrics(expression: cloudwatch.MathExpression) -> int:
    """Count the metrics an expression references, nested expressions included."""
    total = 0
    for metric in expression.using_metrics.values():
        if isinstance(metric, cloudwatch.MathExpression):
            total += count_metrics(metric)
        else:
            total += 1
    return total


def check_metric_count(
    scope: IConstruct | str, prop: str, expression: cloudwatch.MathExpression
) -> None:
    """Raise when ``expression`` references more metrics than a math alarm may (10)."""
    count = count_metrics(expression)
    require(
        count <= MAX_METRICS_PER_ALARM,
        scope,
        prop,
        f"{count} metrics in {expression.expression!r}",
        f"exceeds CloudWatch's limit of {MAX_METRICS_PER_ALARM} metrics per math alarm",
        "split the expression over several alarms and join them with a composite alarm",
    )
