"""Multi-variant SageMaker endpoints with guarded, zero-downtime updates.

:class:`Endpoint` creates an endpoint configuration (never with a fixed name, so every
change makes a new one) and an endpoint that keeps its logical id and name: a new model
image, new weights, a new instance type or new traffic weights become an in-place
``UpdateEndpoint`` that SageMaker runs under the endpoint's :class:`DeploymentPolicy`.

Instance counts that autoscaling has grown survive a configuration swap (SageMaker would
otherwise reset them to the initial counts), while traffic weights set in code still take
effect: see ``retain_instance_counts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.core import (
    InvalidPropsError,
    acknowledge,
    check_duration_seconds,
    check_name,
    check_range,
    check_unique,
    is_token,
    pascal_case,
    require,
)
from constructs_lib.serving.autoscaling import VariantAutoScaling
from constructs_lib.serving.deployment import DeploymentPolicy
from constructs_lib.serving.facts import MAX_PRODUCTION_VARIANTS
from constructs_lib.serving.instance_types import (
    INSTANCE_TYPE_PATTERN,
    has_local_nvme_storage,
    is_inf1,
)
from constructs_lib.serving.model import IModel, Model

__all__ = [
    "MAX_PRODUCTION_VARIANTS",
    "AsyncInference",
    "DataCapture",
    "Endpoint",
    "EndpointVariant",
    "ProductionVariant",
    "ServerlessConfig",
]

SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)


@dataclass(frozen=True)
class ServerlessConfig:
    """Serverless capacity of a variant (no instances to manage, billed per request).

    :param memory_size_mb: memory, one of 1024, 2048, 3072, 4096, 5120, 6144. Default: 2048.
    :param max_concurrency: concurrent invocations, 1-200. Default: 20.
    :param provisioned_concurrency: warm concurrency, 1-200 and at most ``max_concurrency``.
        Default: none (cold starts possible).
    """

    memory_size_mb: int = 2048
    max_concurrency: int = 20
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class ProductionVariant:
    """One model behind the endpoint, with its share of traffic and its capacity.

    Give ``instance_type`` (+ ``initial_instance_count``) or ``serverless``, not both.

    :param name: the variant name (letters, digits, inner hyphens; at most 63). Keep it
        stable: SageMaker's guarded updates require the same variant names.
    :param model: the model the variant serves.
    :param initial_weight: relative traffic weight, >= 0. Default: 1.0.
    :param instance_type: e.g. ``ml.m5.large``. Default: none (then ``serverless`` is needed).
    :param initial_instance_count: instances at creation, >= 1. Default: 1.
    :param serverless: serverless capacity instead of instances. Default: none.
    :param volume_size_gb: the instance's ML storage volume, 1-512 GB. Default: SageMaker's.
    :param model_data_download_timeout: 60-3600 s. Default: SageMaker's.
    :param container_startup_health_check_timeout: 60-3600 s. Default: SageMaker's.
    """

    name: str
    model: IModel
    initial_weight: float = 1.0
    instance_type: str | None = None
    initial_instance_count: int = 1
    serverless: ServerlessConfig | None = None
    volume_size_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None


@dataclass(frozen=True)
class DataCapture:
    """Capture requests and responses to S3 (the model-quality monitors read them).

    Every variant's model role is allowed to write under ``prefix`` in ``bucket``.

    :param bucket: the destination bucket.
    :param prefix: key prefix of the captured files. Default: ``data-capture``.
    :param sampling_percentage: share of requests captured, 0-100. Default: 20.
    :param capture_input: capture request payloads. Default: True.
    :param capture_output: capture response payloads. Default: True.
    :param kms_key: key that encrypts the captured files. Default: the bucket's key, if any.
    :param json_content_types: content types captured as JSON. Default: application/json.
    :param csv_content_types: content types captured as CSV. Default: text/csv.
    """

    bucket: s3.IBucket
    prefix: str = "data-capture"
    sampling_percentage: int = 20
    capture_input: bool = True
    capture_output: bool = True
    kms_key: kms.IKey | None = None
    json_content_types: Sequence[str] = ("application/json",)
    csv_content_types: Sequence[str] = ("text/csv",)


@dataclass(frozen=True)
class AsyncInference:
    """Make the endpoint asynchronous: requests queue, results land in S3.

    An async endpoint accepts only ``InvokeEndpointAsync`` and cannot become real-time
    again without a new endpoint.

    :param output_bucket: bucket for results (and failures).
    :param output_prefix: key prefix of results. Default: ``async-output``.
    :param failure_prefix: key prefix of failure reports. Default: ``async-failures``.
    :param success_topic: SNS topic told of each success. Default: none.
    :param error_topic: SNS topic told of each failure. Default: none.
    :param kms_key: key that encrypts the results. Default: the bucket's key, if any.
    :param max_concurrent_invocations_per_instance: 1-1000. Default: SageMaker's choice.
    """

    output_bucket: s3.IBucket
    output_prefix: str = "async-output"
    failure_prefix: str | None = "async-failures"
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    kms_key: kms.IKey | None = None
    max_concurrent_invocations_per_instance: int | None = None


@dataclass
class EndpointVariant:
    """A deployed variant: its metrics and its autoscaling. Get it from :class:`Endpoint`."""

    endpoint: Endpoint
    variant_name: str
    instance_type: str | None
    initial_instance_count: int | None
    is_serverless: bool
    is_shadow: bool = False
    _autoscaling: VariantAutoScaling | None = field(default=None, repr=False)

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = "AWS/SageMaker",
        statistic: str = "Average",
        period: Duration | None = None,
        unit: cloudwatch.Unit | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """Any per-variant SageMaker metric (dimensions ``EndpointName`` + ``VariantName``)."""
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={
                "EndpointName": self.endpoint.endpoint_name,
                "VariantName": self.variant_name,
            },
            statistic=statistic,
            period=period or Duration.minutes(1),
            unit=unit,
            label=label,
        )

    def metric_invocations(self, **kwargs: object) -> cloudwatch.Metric:
        """``Invocations`` (Sum): requests sent to the variant."""
        return self.metric("Invocations", **{"statistic": "Sum", **kwargs})  # type: ignore[arg-type]

    def metric_invocations_per_instance(self, **kwargs: object) -> cloudwatch.Metric:
        """``InvocationsPerInstance`` (Sum): requests per instance, what autoscaling tracks."""
        return self.metric("InvocationsPerInstance", **{"statistic": "Sum", **kwargs})  # type: ignore[arg-type]

    def metric_model_latency(self, **kwargs: object) -> cloudwatch.Metric:
        """``ModelLatency`` in microseconds (Average; pass ``statistic="p99"`` for tails)."""
        return self.metric("ModelLatency", **kwargs)  # type: ignore[arg-type]

    def metric_overhead_latency(self, **kwargs: object) -> cloudwatch.Metric:
        """``OverheadLatency`` in microseconds: time SageMaker adds around the model."""
        return self.metric("OverheadLatency", **kwargs)  # type: ignore[arg-type]

    def metric_invocation4xx_errors(self, **kwargs: object) -> cloudwatch.Metric:
        """``Invocation4XXErrors`` (Sum): requests rejected as client errors."""
        return self.metric("Invocation4XXErrors", **{"statistic": "Sum", **kwargs})  # type: ignore[arg-type]

    def metric_invocation5xx_errors(self, **kwargs: object) -> cloudwatch.Metric:
        """``Invocation5XXErrors`` (Sum): requests that failed in the model or service."""
        return self.metric("Invocation5XXErrors", **{"statistic": "Sum", **kwargs})  # type: ignore[arg-type]

    def metric_invocation_model_errors(self, **kwargs: object) -> cloudwatch.Metric:
        """``InvocationModelErrors`` (Sum): requests where the container returned an error."""
        return self.metric("InvocationModelErrors", **{"statistic": "Sum", **kwargs})  # type: ignore[arg-type]

    def metric_model_setup_time(self, **kwargs: object) -> cloudwatch.Metric:
        """``ModelSetupTime`` in microseconds: serverless cold-start time."""
        return self.metric("ModelSetupTime", **kwargs)  # type: ignore[arg-type]

    def metric_cpu_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        """``CPUUtilization``: percent summed over cores (4 vCPUs read 0-400)."""
        return self._instance_metric("CPUUtilization", kwargs)

    def metric_memory_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        """``MemoryUtilization``: percent, 0-100."""
        return self._instance_metric("MemoryUtilization", kwargs)

    def metric_disk_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        """``DiskUtilization``: percent of the ML volume, 0-100."""
        return self._instance_metric("DiskUtilization", kwargs)

    def metric_gpu_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        """``GPUUtilization``: percent summed over GPUs."""
        return self._instance_metric("GPUUtilization", kwargs)

    def metric_gpu_memory_utilization(self, **kwargs: object) -> cloudwatch.Metric:
        """``GPUMemoryUtilization``: percent summed over GPUs."""
        return self._instance_metric("GPUMemoryUtilization", kwargs)

    def _instance_metric(self, name: str, kwargs: dict[str, object]) -> cloudwatch.Metric:
        return self.metric(name, **{"namespace": "/aws/sagemaker/Endpoints", **kwargs})  # type: ignore[arg-type]

    @property
    def autoscaling(self) -> VariantAutoScaling | None:
        """The variant's autoscaling, once :meth:`auto_scale_instance_count` was called."""
        return self._autoscaling

    def auto_scale_instance_count(
        self, *, min_capacity: int, max_capacity: int
    ) -> VariantAutoScaling:
        """Register the variant's instance count with Application Auto Scaling.

        Then add policies: ``scale_on_invocations``, ``scale_on_metric``,
        ``scale_on_schedule``. While the endpoint has ``autoscaling_detached=True`` this
        validates the settings but creates no scaling resources (see the README for the
        safe path to change an autoscaled variant's instance type).
        """
        scope = self.endpoint
        if self._autoscaling is not None:
            raise InvalidPropsError(
                scope,
                f"variants[{self.variant_name}].autoscaling",
                "a second call",
                "is already configured for this variant",
                "call auto_scale_instance_count once per variant and add policies to its result",
            )
        if self.is_serverless or self.instance_type is None:
            raise InvalidPropsError(
                scope,
                f"variants[{self.variant_name}].autoscaling",
                "serverless",
                "is for instance-backed variants",
                "scale serverless variants with ServerlessConfig.max_concurrency",
            )
        if self.is_shadow:
            raise InvalidPropsError(
                scope,
                f"variants[{self.variant_name}].autoscaling",
                "shadow variant",
                "cannot be autoscaled",
                "autoscale the production variant only",
            )
        self._autoscaling = VariantAutoScaling(
            scope,
            f"AutoScaling{pascal_case(self.variant_name)}",
            endpoint_name=scope.endpoint_name,
            variant_name=self.variant_name,
            instance_type=self.instance_type,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            detached=scope.autoscaling_detached,
            allow_zero=scope.is_async,
            is_async=scope.is_async,
            require_multi_az=scope.require_multi_az,
        )
        return self._autoscaling


class Endpoint(Construct):
    """A SageMaker endpoint with 1-10 production variants, updated without downtime.

    :param variants: the production variants (1-10; one if serverless or with a shadow).
    :param shadow_variant: a variant that receives a copy of production traffic and whose
        responses are discarded. Default: none.
    :param deployment_policy: how updates roll out. Default: blue/green all-at-once for
        instance-backed and async endpoints; none for a serverless endpoint, where
        SageMaker's deployment guardrails do not apply (a policy is refused there).
    :param encryption_key: KMS key for the instances' ML storage volumes. Default: a new
        customer-managed key with rotation (omitted for serverless endpoints, which have no
        volume, and refused for local-NVMe instance types, which SageMaker encrypts itself).
    :param data_capture: capture requests/responses to S3. Default: off.
    :param async_inference: make the endpoint asynchronous. Default: real-time.
    :param endpoint_name: a fixed endpoint name. Default: generated by CloudFormation (the
        name stays the same across updates either way).
    :param retain_instance_counts: keep the running instance counts across configuration
        swaps (autoscaling's work is not undone) while weights from code still apply.
        Default: True.
    :param autoscaling_detached: create no autoscaling resources for this deploy (the
        first step of changing an autoscaled variant's instance type). Default: False.
    :param require_multi_az: every instance variant must run, and autoscale down to, at
        least 2 instances so SageMaker spreads it across availability zones. Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[ProductionVariant],
        shadow_variant: ProductionVariant | None = None,
        deployment_policy: DeploymentPolicy | None = None,
        encryption_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        async_inference: AsyncInference | None = None,
        endpoint_name: str | None = None,
        retain_instance_counts: bool = True,
        autoscaling_detached: bool = False,
        require_multi_az: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.autoscaling_detached = autoscaling_detached
        self.require_multi_az = require_multi_az
        self.is_async = async_inference is not None
        check_name(self, "endpoint_name", endpoint_name)
        self._validate_variants(variants, shadow_variant)
        all_variants = [*variants, *([shadow_variant] if shadow_variant else [])]
        serverless = any(v.serverless is not None for v in variants)
        self._validate_combinations(variants, shadow_variant, data_capture, async_inference)

        instance_types = [v.instance_type for v in all_variants if v.instance_type]
        local_storage = [t for t in instance_types if has_local_nvme_storage(t)]
        if encryption_key is not None and local_storage:
            raise InvalidPropsError(
                self,
                "encryption_key",
                local_storage[0],
                "is set while a variant uses an instance type with local NVMe storage, "
                "which SageMaker encrypts in hardware and for which it refuses KmsKeyId",
                "drop encryption_key, or use an instance type without local storage",
            )
        self.encryption_key: kms.IKey | None = encryption_key
        if encryption_key is None and not serverless and not local_storage:
            self.encryption_key = kms.Key(
                self,
                "VolumeKey",
                description=f"Encrypts the ML storage volumes of endpoint {self.node.path}",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
            )

        # Guardrails apply to instance-backed and async endpoints only: a serverless
        # endpoint gets no DeploymentConfig (DeploymentPolicy refuses one).
        policy = deployment_policy or (None if serverless else DeploymentPolicy.all_at_once())
        if policy is not None and policy.mode != "ALL_AT_ONCE":
            inf1 = [t for t in instance_types if is_inf1(t)]
            require(
                not inf1,
                self,
                "deployment_policy",
                f"{policy.mode.lower()} on {inf1[0] if inf1 else ''}",
                "would silently fall back to all-at-once: SageMaker does not shift traffic "
                "gradually on Inf1 instances",
                "use DeploymentPolicy.all_at_once(), or a non-Inf1 instance type",
            )
        deployment_config = (
            policy._render(
                self, [v.initial_instance_count for v in variants if v.instance_type], serverless
            )
            if policy is not None
            else None
        )
        #: The update policy; None for a serverless endpoint (no guardrails apply).
        self.deployment_policy: DeploymentPolicy | None = policy

        self._config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[_render_variant(self, v) for v in variants],
            shadow_production_variants=(
                [_render_variant(self, shadow_variant)] if shadow_variant else None
            ),
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            data_capture_config=_render_capture(self, data_capture, all_variants),
            async_inference_config=_render_async(self, async_inference, all_variants),
        )
        if self.encryption_key is None:
            reason = (
                "Serverless endpoints have no ML storage volume to encrypt with a key of ours."
                if serverless
                else "Instance types with local NVMe storage are encrypted in hardware and "
                "SageMaker refuses a volume KmsKeyId for them."
            )
            for rule in (
                "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
                "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
            ):
                acknowledge(self._config, rule, reason)
        self._resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self._config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
            deployment_config=deployment_config,
            retain_all_variant_properties=retain_instance_counts or None,
            exclude_retained_variant_properties=(
                [
                    sagemaker.CfnEndpoint.VariantPropertyProperty(
                        variant_property_type="DesiredWeight"
                    )
                ]
                if retain_instance_counts
                else None
            ),
        )
        self.endpoint_name: str = self._resource.attr_endpoint_name
        # The ARN as SageMaker reports it: SageMaker lower-cases the name in its ARNs, so an
        # ARN formatted from a mixed-case (e.g. generated) name would not match in IAM.
        self.endpoint_arn: str = self._resource.attr_endpoint_arn
        self.endpoint_config_name: str = self._config.attr_endpoint_config_name

        _grant_rollback_alarm_reads(policy.rollback_alarms if policy else (), all_variants)
        self.variants: tuple[EndpointVariant, ...] = tuple(
            EndpointVariant(
                self,
                v.name,
                v.instance_type,
                v.initial_instance_count if v.instance_type else None,
                v.serverless is not None,
            )
            for v in variants
        )
        self.shadow_variant: EndpointVariant | None = (
            EndpointVariant(
                self,
                shadow_variant.name,
                shadow_variant.instance_type,
                shadow_variant.initial_instance_count if shadow_variant.instance_type else None,
                shadow_variant.serverless is not None,
                is_shadow=True,
            )
            if shadow_variant
            else None
        )
        if autoscaling_detached:
            Annotations.of(self).add_info(
                "Autoscaling is detached for this deploy: no scalable targets are registered. "
                "Re-attach it in the next deploy."
            )

    @property
    def variant_names(self) -> list[str]:
        """The production variant names, in order."""
        return [v.variant_name for v in self.variants]

    def find_variant(self, name: str) -> EndpointVariant:
        """The production or shadow variant called ``name``."""
        for variant in (*self.variants, *([self.shadow_variant] if self.shadow_variant else [])):
            if variant.variant_name == name:
                return variant
        raise InvalidPropsError(
            self,
            "variant_name",
            name,
            "is not a variant of this endpoint",
            f"use one of {', '.join(self.variant_names)}",
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the endpoint (real-time, async and streaming).

        The grant covers every variant: SageMaker's documented IAM condition keys for
        ``InvokeEndpoint`` (``sagemaker:TargetModel``, ``sagemaker:TargetContainerHostname``)
        cannot limit a caller to one production variant.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:InvokeEndpoint",
                "sagemaker:InvokeEndpointAsync",
                "sagemaker:InvokeEndpointWithResponseStream",
            ],
            resource_arns=[self.endpoint_arn],
        )

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        namespace: str = "AWS/SageMaker",
    ) -> cloudwatch.Metric:
        """An endpoint-level metric (dimension ``EndpointName`` only), e.g. async backlog."""
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name},
            statistic=statistic,
            period=period or Duration.minutes(1),
        )

    def metric_approximate_backlog_size(self, **kwargs: object) -> cloudwatch.Metric:
        """``ApproximateBacklogSize`` of an async endpoint (queued requests)."""
        return self.metric("ApproximateBacklogSize", **kwargs)  # type: ignore[arg-type]

    def metric_has_backlog_without_capacity(self, **kwargs: object) -> cloudwatch.Metric:
        """``HasBacklogWithoutCapacity`` of an async endpoint (1 when scaled to zero)."""
        return self.metric("HasBacklogWithoutCapacity", **kwargs)  # type: ignore[arg-type]

    # -- validation -------------------------------------------------------------------------

    def _validate_variants(
        self, variants: Sequence[ProductionVariant], shadow: ProductionVariant | None
    ) -> None:
        require(
            1 <= len(variants) <= MAX_PRODUCTION_VARIANTS,
            self,
            "variants",
            f"{len(variants)} variants",
            f"must hold 1 to {MAX_PRODUCTION_VARIANTS} production variants",
            "split the variants over several endpoints"
            if variants
            else "pass at least one ProductionVariant",
        )
        every = [*variants, *([shadow] if shadow else [])]
        check_unique(self, "variants[].name", [v.name for v in every])
        for v in every:
            _validate_variant(self, v)
        weights = [v.initial_weight for v in variants]
        if all(not is_token(w) for w in weights) and sum(weights) <= 0:
            raise InvalidPropsError(
                self,
                "variants[].initial_weight",
                weights,
                "are all zero, so no variant would receive traffic",
                "give at least one production variant a positive weight",
            )

    def _validate_combinations(
        self,
        variants: Sequence[ProductionVariant],
        shadow: ProductionVariant | None,
        capture: DataCapture | None,
        async_inference: AsyncInference | None,
    ) -> None:
        serverless = [v.name for v in variants if v.serverless is not None]
        if serverless:
            require(
                len(variants) == 1,
                self,
                "variants",
                [v.name for v in variants],
                "mixes a serverless variant with other variants, which SageMaker refuses",
                "use one serverless variant, or instance-backed variants only",
            )
            for v in variants:
                _check_serverless_model(self, v)
            for prop, value, what in (
                ("data_capture", capture, "data capture"),
                ("async_inference", async_inference, "async inference"),
                ("shadow_variant", shadow, "shadow variants"),
            ):
                require(
                    value is None,
                    self,
                    prop,
                    "set",
                    f"is not supported with serverless variants ({what})",
                    f"drop {prop}, or use instance-backed variants",
                )
        if shadow is not None:
            require(
                len(variants) == 1,
                self,
                "shadow_variant",
                shadow.name,
                f"needs exactly one production variant, got {len(variants)}",
                "keep one production variant when testing a shadow variant",
            )
            require(
                shadow.serverless is None,
                self,
                "shadow_variant",
                shadow.name,
                "is serverless; shadow variants must be instance-backed",
                "give the shadow variant an instance_type",
            )
            require(
                async_inference is None,
                self,
                "shadow_variant",
                shadow.name,
                "is set on an async endpoint; shadow testing is for real-time endpoints",
                "drop shadow_variant or async_inference",
            )


def _check_serverless_model(scope: Endpoint, v: ProductionVariant) -> None:
    # SageMaker serverless inference supports neither network isolation nor VPC config.
    model = v.model
    if not isinstance(model, Model):
        return
    for prop, on, what, fix in (
        (
            "network_isolation",
            model.network_isolation,
            "network isolation",
            "create the model with network_isolation=False, or serve it from instances",
        ),
        (
            "vpc",
            model.vpc is not None,
            "a VPC configuration",
            "create the model without vpc, or serve it from instances",
        ),
    ):
        require(
            not on,
            scope,
            f"variants[{v.name}].model.{prop}",
            model.node.path,
            f"is a serverless variant whose model has {what}, which SageMaker serverless "
            "inference does not support",
            fix,
        )


def _validate_variant(scope: Endpoint, v: ProductionVariant) -> None:
    prefix = f"variants[{v.name}]"
    check_name(scope, f"{prefix}.name", v.name)
    if not isinstance(v.model, IModel):
        raise InvalidPropsError(
            scope,
            f"{prefix}.model",
            type(v.model).__name__,
            "is not a model",
            "pass a Model or Model.from_model_name(...)",
        )
    if isinstance(v.initial_weight, bool) or not isinstance(v.initial_weight, int | float):
        raise InvalidPropsError(
            scope,
            f"{prefix}.initial_weight",
            v.initial_weight,
            "is not a number",
            "pass a number >= 0",
        )
    check_range(scope, f"{prefix}.initial_weight", v.initial_weight, 0)
    if (v.instance_type is None) == (v.serverless is None):
        raise InvalidPropsError(
            scope,
            f"{prefix}.instance_type",
            v.instance_type,
            "and serverless are both set" if v.serverless else "is missing",
            "give either instance_type (and initial_instance_count) or serverless",
        )
    if v.instance_type is not None:
        if not is_token(v.instance_type) and not INSTANCE_TYPE_PATTERN.match(v.instance_type):
            raise InvalidPropsError(
                scope,
                f"{prefix}.instance_type",
                v.instance_type,
                "is not a SageMaker instance type",
                "use the form ml.<family>.<size>, e.g. ml.m5.large or ml.g5.xlarge",
            )
        check_range(
            scope,
            f"{prefix}.initial_instance_count",
            v.initial_instance_count,
            1,
            None,
            integer=True,
        )
        if scope.require_multi_az:
            check_range(
                scope,
                f"{prefix}.initial_instance_count",
                v.initial_instance_count,
                2,
                None,
                integer=True,
            )
        check_range(scope, f"{prefix}.volume_size_gb", v.volume_size_gb, 1, 512, integer=True)
    if v.serverless is not None:
        s = v.serverless
        if s.memory_size_mb not in SERVERLESS_MEMORY_SIZES and not is_token(s.memory_size_mb):
            raise InvalidPropsError(
                scope,
                f"{prefix}.serverless.memory_size_mb",
                s.memory_size_mb,
                "is not a serverless memory size",
                f"use one of {', '.join(map(str, SERVERLESS_MEMORY_SIZES))}",
            )
        check_range(
            scope, f"{prefix}.serverless.max_concurrency", s.max_concurrency, 1, 200, integer=True
        )
        check_range(
            scope,
            f"{prefix}.serverless.provisioned_concurrency",
            s.provisioned_concurrency,
            1,
            s.max_concurrency,
            integer=True,
        )
        require(
            v.volume_size_gb is None,
            scope,
            f"{prefix}.volume_size_gb",
            v.volume_size_gb,
            "applies to instance variants only",
            "drop volume_size_gb from the serverless variant",
        )
    check_duration_seconds(
        scope, f"{prefix}.model_data_download_timeout", v.model_data_download_timeout, 60, 3600
    )
    check_duration_seconds(
        scope,
        f"{prefix}.container_startup_health_check_timeout",
        v.container_startup_health_check_timeout,
        60,
        3600,
    )


def _render_variant(
    scope: Endpoint, v: ProductionVariant
) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    serverless = None
    if v.serverless is not None:
        serverless = sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
            max_concurrency=v.serverless.max_concurrency,
            memory_size_in_mb=v.serverless.memory_size_mb,
            provisioned_concurrency=v.serverless.provisioned_concurrency,
        )
    return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name=v.name,
        model_name=v.model.model_name,
        initial_variant_weight=float(v.initial_weight),
        instance_type=v.instance_type,
        initial_instance_count=v.initial_instance_count if v.instance_type else None,
        serverless_config=serverless,
        volume_size_in_gb=v.volume_size_gb,
        model_data_download_timeout_in_seconds=(
            v.model_data_download_timeout.to_seconds() if v.model_data_download_timeout else None
        ),
        container_startup_health_check_timeout_in_seconds=(
            v.container_startup_health_check_timeout.to_seconds()
            if v.container_startup_health_check_timeout
            else None
        ),
    )


def _render_capture(
    scope: Endpoint, capture: DataCapture | None, variants: Sequence[ProductionVariant]
) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
    if capture is None:
        return None
    check_range(
        scope, "data_capture.sampling_percentage", capture.sampling_percentage, 0, 100, integer=True
    )
    require(
        capture.capture_input or capture.capture_output,
        scope,
        "data_capture",
        "capture_input=False, capture_output=False",
        "captures nothing",
        "enable capture_input, capture_output or both (or drop data_capture)",
    )
    prefix = capture.prefix.strip("/")
    key = capture.kms_key or capture.bucket.encryption_key
    _grant_write(variants, capture.bucket, prefix, key)
    options = [
        sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=mode)
        for mode, on in (("Input", capture.capture_input), ("Output", capture.capture_output))
        if on
    ]
    return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        enable_capture=True,
        initial_sampling_percentage=capture.sampling_percentage,
        destination_s3_uri=capture.bucket.s3_url_for_object(prefix),
        kms_key_id=capture.kms_key.key_arn if capture.kms_key else None,
        capture_options=options,
        capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
            json_content_types=list(capture.json_content_types) or None,
            csv_content_types=list(capture.csv_content_types) or None,
        ),
    )


def _render_async(
    scope: Endpoint, config: AsyncInference | None, variants: Sequence[ProductionVariant]
) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty | None:
    if config is None:
        return None
    check_range(
        scope,
        "async_inference.max_concurrent_invocations_per_instance",
        config.max_concurrent_invocations_per_instance,
        1,
        1000,
        integer=True,
    )
    key = config.kms_key or config.output_bucket.encryption_key
    bucket = config.output_bucket
    out_prefix = config.output_prefix.strip("/")
    _grant_write(variants, bucket, out_prefix, key)
    fail_prefix = config.failure_prefix.strip("/") if config.failure_prefix else None
    if fail_prefix is not None and fail_prefix != out_prefix:
        _grant_write(variants, bucket, fail_prefix, None)
    for topic in (config.success_topic, config.error_topic):
        if topic is None:
            continue
        statement = iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        for v in variants:
            v.model.add_to_role_policy(statement)
        if topic.master_key is not None:
            _grant_key(variants, topic.master_key, ["kms:Decrypt", "kms:GenerateDataKey"])
    notification = None
    if config.success_topic or config.error_topic:
        notification = sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
            success_topic=config.success_topic.topic_arn if config.success_topic else None,
            error_topic=config.error_topic.topic_arn if config.error_topic else None,
        )
    client = None
    if config.max_concurrent_invocations_per_instance is not None:
        client = sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
            max_concurrent_invocations_per_instance=config.max_concurrent_invocations_per_instance
        )
    return sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
        output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
            s3_output_path=bucket.s3_url_for_object(out_prefix),
            s3_failure_path=bucket.s3_url_for_object(fail_prefix) if fail_prefix else None,
            kms_key_id=config.kms_key.key_arn if config.kms_key else None,
            notification_config=notification,
        ),
        client_config=client,
    )


def _grant_write(
    variants: Sequence[ProductionVariant], bucket: s3.IBucket, prefix: str, key: kms.IKey | None
) -> None:
    # An empty prefix (the bucket's root) must grant "bucket/*", not "bucket//*".
    resource = bucket.arn_for_objects(f"{prefix}/*" if prefix else "*")
    statement = iam.PolicyStatement(actions=["s3:PutObject"], resources=[resource])
    for v in variants:
        v.model.add_to_role_policy(statement)
        if isinstance(v.model, Model):
            v.model._acknowledge_wildcard_resource(
                resource,
                "SageMaker names the objects it writes under this prefix at run time (endpoint, "
                "variant, date, inference id); the grant is write-only and limited to the prefix.",
            )
    if key is not None:
        # S3 server-side encryption with a KMS key calls GenerateDataKey for each object.
        _grant_key(variants, key, ["kms:Encrypt", "kms:GenerateDataKey"])


def _grant_key(variants: Sequence[ProductionVariant], key: kms.IKey, actions: list[str]) -> None:
    statement = iam.PolicyStatement(actions=actions, resources=[key.key_arn])
    for v in variants:
        v.model.add_to_role_policy(statement)


def _grant_rollback_alarm_reads(
    alarms: Sequence[cloudwatch.IAlarm], variants: Sequence[ProductionVariant]
) -> None:
    # SageMaker reads the rollback alarms' state during a guarded deployment.
    if not alarms:
        return
    statement = iam.PolicyStatement(
        actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in alarms]
    )
    for v in variants:
        v.model.add_to_role_policy(statement)
