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
from constructs_lib.observability._targets import (
    INSTANCE_NAMESPACE,
    EndpointTarget,
    ResolvedVariant,
)

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
    return cloudwatch.MathExpression(
        expression=f"IF(inv >= {min_invocations}, 100 * FILL({errors}, 0) / inv, 0)",
        using_metrics={
            "inv": target.variant_metric(variant, "Invocations", "Sum", period),
            errors: target.variant_metric(variant, f"Invocation{code}Errors", "Sum", period),
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
            "e4": target.variant_metric(variant, "Invocation4XXErrors", "Sum", period),
            "e5": target.variant_metric(variant, "Invocation5XXErrors", "Sum", period),
        },
        label="5XX share of errors (%)",
        period=period,
    )


def normalized_utilization(
    target: EndpointTarget, variant: ResolvedVariant, metric_name: str, period: Duration
) -> cloudwatch.MathExpression:
    """CPU or GPU utilization divided by the vCPU or GPU count: 0-100 %."""
    is_cpu = metric_name == "CPUUtilization"
    count = variant.vcpus if is_cpu else variant.gpus
    assert count, f"{metric_name} of variant {variant.name} needs a known count"
    unit = ("vCPU" if is_cpu else "GPU") + ("" if count == 1 else "s")
    metric_id = {"CPUUtilization": "cpu", "GPUUtilization": "gpu"}.get(metric_name, "gpumem")
    return cloudwatch.MathExpression(
        expression=f"{metric_id} / {count}",
        using_metrics={
            metric_id: target.variant_metric(
                variant.name, metric_name, "Average", period, INSTANCE_NAMESPACE
            )
        },
        label=f"{_READABLE[metric_name]} (% of {count} {unit})",
        period=period,
    )


def serverless_concurrency(
    target: EndpointTarget, variant: str, period: Duration
) -> cloudwatch.MathExpression:
    """``ServerlessConcurrentExecutionsUtilization`` (a 0-1 ratio) in percent."""
    return cloudwatch.MathExpression(
        expression="100 * conc",
        using_metrics={
            "conc": target.variant_metric(
                variant, "ServerlessConcurrentExecutionsUtilization", "Average", period
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


_READABLE = {
    "CPUUtilization": "CPU utilization",
    "GPUUtilization": "GPU utilization",
    "GPUMemoryUtilization": "GPU memory utilization",
}
