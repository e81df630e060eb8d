"""Tests for the metric math that alarms and dashboards share, and the 10-metric limit."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_lib.core import InvalidPropsError
from constructs_lib.observability._metrics import (
    MAX_METRICS_PER_ALARM,
    check_metric_count,
    count_metrics,
    normalized_utilization,
)
from constructs_lib.observability._targets import EndpointTarget, ResolvedVariant

GPU_VARIANT = ResolvedVariant("green", "ml.g5.12xlarge", False, False, vcpus=48, gpus=4)
SMALL_VARIANT = ResolvedVariant("blue", "ml.t2.medium", False, False, vcpus=2, gpus=1)
TARGET = EndpointTarget("churn", (GPU_VARIANT, SMALL_VARIANT), False)


def test_metric_count_helper_refuses_more_than_ten_metrics() -> None:
    def metric(i: int) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/SageMaker", metric_name=f"M{i}")

    inner = cloudwatch.MathExpression(
        expression="+".join(f"m{i}" for i in range(6)),
        using_metrics={f"m{i}": metric(i) for i in range(6)},
    )
    outer = cloudwatch.MathExpression(
        expression="inner + " + "+".join(f"n{i}" for i in range(5)),
        using_metrics={"inner": inner, **{f"n{i}": metric(10 + i) for i in range(5)}},
    )
    assert count_metrics(inner) == 6
    assert count_metrics(outer) == 11
    check_metric_count("Test/Alarms", "latency", inner)
    with pytest.raises(InvalidPropsError, match=rf"11 metrics.*limit of {MAX_METRICS_PER_ALARM}"):
        check_metric_count("Test/Alarms", "latency", outer)


@pytest.mark.parametrize(
    ("variant", "kind", "expression", "label"),
    [
        (GPU_VARIANT, "cpu", "cpu / 48", "CPU utilization (% of 48 vCPUs)"),
        (GPU_VARIANT, "gpu", "gpu / 4", "GPU utilization (% of 4 GPUs)"),
        (
            SMALL_VARIANT,
            "gpumem",
            "gpumem / 1",
            "GPU memory utilization (% of 1 GPU)",
        ),
    ],
)
def test_utilization_is_divided_by_the_count_and_says_so(
    variant: ResolvedVariant, kind: str, expression: str, label: str
) -> None:
    math = normalized_utilization(TARGET, variant, kind, Duration.minutes(5))
    metric_name = {"cpu": "CPUUtilization", "gpu": "GPUUtilization"}.get(
        kind, "GPUMemoryUtilization"
    )
    assert (math.expression, math.label) == (expression, label)
    (metric,) = math.using_metrics.values()
    assert isinstance(metric, cloudwatch.Metric)
    assert (metric.namespace, metric.metric_name) == ("/aws/sagemaker/Endpoints", metric_name)
    assert metric.dimensions == {"EndpointName": "churn", "VariantName": variant.name}
