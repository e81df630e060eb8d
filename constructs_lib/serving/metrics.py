"""The one source of a SageMaker endpoint's CloudWatch metrics.

:class:`EndpointMetrics` builds every metric SageMaker publishes for an endpoint, and
:class:`VariantMetrics` (from :meth:`EndpointMetrics.variant`) those of one production
variant, with the namespace, dimensions, unit and default statistic SageMaker documents.
Both need only names, so alarms can watch an endpoint before it exists (as auto-rollback
alarms must)::

    metrics = EndpointMetrics("churn-prod")
    p99 = metrics.variant("champion").model_latency(statistic="p99")
    backlog = metrics.approximate_backlog_size_per_instance()

An :class:`~constructs_lib.serving.Endpoint` exposes the same objects as
``endpoint.metrics`` and ``endpoint.find_variant(name).metrics``. Nothing else in the library
spells a SageMaker metric name or namespace.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

__all__ = [
    "INSTANCE_METRICS_NAMESPACE",
    "INVOCATION_METRICS_NAMESPACE",
    "EndpointMetrics",
    "VariantMetrics",
]

#: Namespace of SageMaker's invocation metrics (and the async backlog metrics).
INVOCATION_METRICS_NAMESPACE = "AWS/SageMaker"
#: Namespace of the instance metrics (CPU, memory, disk and GPU utilization).
INSTANCE_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"

_ONE_MINUTE = Duration.minutes(1)


@dataclass(frozen=True)
class VariantMetrics:
    """The metrics of one production variant (dimensions ``EndpointName`` + ``VariantName``).

    Every method takes ``statistic`` (e.g. ``"Sum"``, ``"Average"``, ``"p99"``), ``period``
    (default: 1 minute, SageMaker's publishing interval) and ``label``.

    :param endpoint_name: the endpoint's name (a token is fine).
    :param variant_name: the variant's name.
    """

    endpoint_name: str
    variant_name: str

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = INVOCATION_METRICS_NAMESPACE,
        statistic: str = "Average",
        period: Duration | None = None,
        unit: cloudwatch.Unit | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """Any per-variant metric by name, for metrics without a method of their own."""
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": self.variant_name},
            statistic=statistic,
            period=period or _ONE_MINUTE,
            unit=unit,
            label=label,
        )

    def invocations(
        self, *, statistic: str = "Sum", period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """``Invocations``: requests sent to the variant (not published by async endpoints)."""
        return self.metric("Invocations", statistic=statistic, period=period, label=label)

    def invocations_per_instance(
        self, *, statistic: str = "Sum", period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """``InvocationsPerInstance``: requests per instance, what autoscaling tracks."""
        return self.metric(
            "InvocationsPerInstance", statistic=statistic, period=period, label=label
        )

    def model_latency(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ModelLatency`` in microseconds (pass ``statistic="p99"`` for the tail)."""
        return self.metric("ModelLatency", statistic=statistic, period=period, label=label)

    def overhead_latency(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``OverheadLatency`` in microseconds: the time SageMaker adds around the model."""
        return self.metric("OverheadLatency", statistic=statistic, period=period, label=label)

    def invocation_4xx_errors(
        self, *, statistic: str = "Sum", period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """``Invocation4XXErrors``: requests rejected as client errors."""
        return self.metric("Invocation4XXErrors", statistic=statistic, period=period, label=label)

    def invocation_5xx_errors(
        self, *, statistic: str = "Sum", period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """``Invocation5XXErrors``: requests that failed in the model or the service."""
        return self.metric("Invocation5XXErrors", statistic=statistic, period=period, label=label)

    def invocation_model_errors(
        self, *, statistic: str = "Sum", period: Duration | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """``InvocationModelErrors``: requests where the container returned an error."""
        return self.metric("InvocationModelErrors", statistic=statistic, period=period, label=label)

    def model_setup_time(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ModelSetupTime`` in microseconds: a serverless variant's cold-start time."""
        return self.metric("ModelSetupTime", statistic=statistic, period=period, label=label)

    def serverless_concurrency_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ServerlessConcurrentExecutionsUtilization``: in-flight requests per maximum (0-1)."""
        return self.metric(
            "ServerlessConcurrentExecutionsUtilization",
            statistic=statistic,
            period=period,
            label=label,
        )

    def cpu_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``CPUUtilization``: percent summed over cores (4 vCPUs read 0-400)."""
        return self._instance("CPUUtilization", statistic, period, label)

    def memory_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``MemoryUtilization``: percent, 0-100."""
        return self._instance("MemoryUtilization", statistic, period, label)

    def disk_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``DiskUtilization``: percent of the ML storage volume, 0-100."""
        return self._instance("DiskUtilization", statistic, period, label)

    def gpu_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``GPUUtilization``: percent summed over GPUs."""
        return self._instance("GPUUtilization", statistic, period, label)

    def gpu_memory_utilization(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``GPUMemoryUtilization``: percent summed over GPUs."""
        return self._instance("GPUMemoryUtilization", statistic, period, label)

    def _instance(
        self, name: str, statistic: str, period: Duration | None, label: str | None
    ) -> cloudwatch.Metric:
        return self.metric(
            name,
            namespace=INSTANCE_METRICS_NAMESPACE,
            statistic=statistic,
            period=period,
            label=label,
        )


@dataclass(frozen=True)
class EndpointMetrics:
    """The metrics of one endpoint by name; :meth:`variant` gives a variant's.

    The endpoint-level metrics (dimension ``EndpointName`` only) are those of async
    endpoints' request queue.

    :param endpoint_name: the endpoint's name (a token is fine).
    """

    endpoint_name: str

    def variant(self, variant_name: str) -> VariantMetrics:
        """The metrics of the production variant ``variant_name``."""
        return VariantMetrics(self.endpoint_name, variant_name)

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """Any endpoint-level metric by name, for metrics without a method of their own."""
        return cloudwatch.Metric(
            namespace=INVOCATION_METRICS_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name},
            statistic=statistic,
            period=period or _ONE_MINUTE,
            label=label,
        )

    def approximate_backlog_size(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ApproximateBacklogSize``: requests queued on an async endpoint."""
        return self.metric(
            "ApproximateBacklogSize", statistic=statistic, period=period, label=label
        )

    def approximate_backlog_size_per_instance(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ApproximateBacklogSizePerInstance``: what an async endpoint scales on."""
        return self.metric(
            "ApproximateBacklogSizePerInstance", statistic=statistic, period=period, label=label
        )

    def approximate_age_of_oldest_request(
        self,
        *,
        statistic: str = "Maximum",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``ApproximateAgeOfOldestRequest`` in seconds: how long the queue head has waited."""
        return self.metric(
            "ApproximateAgeOfOldestRequest", statistic=statistic, period=period, label=label
        )

    def has_backlog_without_capacity(
        self,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """``HasBacklogWithoutCapacity``: 1 while requests wait and no instance runs."""
        return self.metric(
            "HasBacklogWithoutCapacity", statistic=statistic, period=period, label=label
        )
