"""The one metrics source: documented names, namespaces and dimensions, and no second copy."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from aws_cdk import Duration

from constructs_lib.serving import EndpointMetrics, VariantMetrics
from constructs_lib.serving import metrics as metrics_module

ROOT = Path(__file__).resolve().parents[2]


def _published_names() -> set[str]:
    """Every metric name and namespace the factory spells."""
    source = inspect.getsource(metrics_module)
    names = set(re.findall(r'self\.(?:metric|_instance)\(\s*"(\w+)"', source))
    names |= {
        metrics_module.INVOCATION_METRICS_NAMESPACE,
        metrics_module.INSTANCE_METRICS_NAMESPACE,
    }
    return names


def test_the_factory_spells_every_documented_metric() -> None:
    names = _published_names()
    assert {
        "Invocations",
        "InvocationsPerInstance",
        "ModelLatency",
        "OverheadLatency",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
        "InvocationModelErrors",
        "ModelSetupTime",
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "GPUUtilization",
        "GPUMemoryUtilization",
        "ApproximateBacklogSize",
        "ApproximateBacklogSizePerInstance",
        "ApproximateAgeOfOldestRequest",
        "HasBacklogWithoutCapacity",
        "AWS/SageMaker",
        "/aws/sagemaker/Endpoints",
    } <= names


def test_no_metric_name_or_namespace_is_spelled_anywhere_else() -> None:
    names = _published_names()
    offenders = []
    for folder in ("constructs_lib", "stacks", "examples"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(metrics_module.__file__):
                continue
            text = path.read_text()
            for name in names:
                if f'"{name}"' in text or f"'{name}'" in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_metrics_need_only_names_so_alarms_can_exist_before_the_endpoint() -> None:
    champion = EndpointMetrics("churn-prod").variant("champion")
    assert isinstance(champion, VariantMetrics)
    p99 = champion.model_latency(statistic="p99", period=Duration.minutes(5))
    assert (p99.namespace, p99.metric_name, p99.statistic) == (
        "AWS/SageMaker",
        "ModelLatency",
        "p99",
    )
    assert p99.dimensions == {"EndpointName": "churn-prod", "VariantName": "champion"}
    assert p99.period.to_seconds() == 300
    cpu = champion.cpu_utilization()
    assert cpu.namespace == "/aws/sagemaker/Endpoints" and cpu.period.to_seconds() == 60
