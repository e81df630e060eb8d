"""Multi-variant SageMaker endpoints with guarded, zero-downtime updates.

:class:`Endpoint` creates an endpoint configuration (never with a fixed name, so every
change makes a new one) and an endpoint that keeps its logical id and name: a new model
image, new weights, a new instance type or new traffic weights become an in-place
``UpdateEndpoint`` that SageMaker runs under the endpoint's :class:`DeploymentPolicy`.

Instance counts that autoscaling has grown survive a configuration swap (SageMaker would
otherwise reset them to the initial counts), while traffic weights set in code still take
effect: see ``retain_instance_counts``.

An endpoint deployed elsewhere is imported with :meth:`Endpoint.from_endpoint_name` or
:meth:`Endpoint.from_endpoint_arn`; both give an :class:`IEndpoint` with the same metrics
and grants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from aws_cdk import Annotations, Arn, ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, Node

from constructs_lib.core import (
    InvalidPropsError,
    acknowledge,
    check_name,
    check_unique,
    is_token,
    key_or_new,
    pascal_case,
    require,
)
from constructs_lib.serving.autoscaling import VariantAutoScaling
from constructs_lib.serving.capture import AsyncInference, DataCapture, grantee_of
from constructs_lib.serving.deployment import DeploymentPolicy
from constructs_lib.serving.facts import MAX_PRODUCTION_VARIANTS
from constructs_lib.serving.instance_types import has_local_nvme_storage, is_inf1
from constructs_lib.serving.metrics import EndpointMetrics, VariantMetrics
from constructs_lib.serving.model import IModel
from constructs_lib.serving.variants import ProductionVariant

__all__ = ["Endpoint", "EndpointVariant", "IEndpoint"]


@runtime_checkable
class IEndpoint(Protocol):
    """A SageMaker endpoint: one of this app's (:class:`Endpoint`) or an imported one."""

    @property
    def node(self) -> Node:
        """The construct node."""

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (a token when CloudFormation generates it)."""

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""

    @property
    def fixed_name(self) -> str | None:
        """The endpoint's name when it is known at synth time, else None."""

    @property
    def metrics(self) -> EndpointMetrics:
        """The endpoint's CloudWatch metrics."""

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the endpoint."""


class _EndpointBase(Construct):
    """What every endpoint offers: its metrics and the invoke grant."""

    endpoint_name: str
    endpoint_arn: str
    fixed_name: str | None

    @property
    def metrics(self) -> EndpointMetrics:
        """The endpoint's metrics; ``metrics.variant(name)`` gives a variant's."""
        return EndpointMetrics(self.endpoint_name)

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

    @property
    def metrics(self) -> VariantMetrics:
        """The variant's CloudWatch metrics (``metrics.model_latency(statistic="p99")``)."""
        return self.endpoint.metrics.variant(self.variant_name)

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
            autoscaling_detached=scope.autoscaling_detached,
            allow_zero=scope.is_async,
            is_async=scope.is_async,
            require_multi_az=scope.require_multi_az,
        )
        return self._autoscaling


class Endpoint(_EndpointBase):
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
    :param removal_policy: what happens to the volume key this endpoint creates when it
        leaves the stack. Default: RETAIN (data encrypted with it stays readable).
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
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        #: Whether autoscaling resources are left out for this deploy.
        self.autoscaling_detached = autoscaling_detached
        #: Whether every instance variant needs at least 2 instances.
        self.require_multi_az = require_multi_az
        #: Whether the endpoint is asynchronous.
        self.is_async = async_inference is not None
        check_name(self, "endpoint_name", endpoint_name)
        #: The endpoint's name when given at synth time, else None (generated).
        self.fixed_name: str | None = (
            endpoint_name if endpoint_name is not None and not is_token(endpoint_name) else None
        )
        self._variants = list(variants)
        self._shadow = shadow_variant
        self._validate_variants(self._variants, shadow_variant)
        self._validate_combinations(self._variants, shadow_variant, data_capture, async_inference)
        self._configure_encryption(encryption_key, removal_policy)
        deployment_config = self._configure_deployment(deployment_policy)
        self._configure_config(data_capture, async_inference)
        self._configure_endpoint(endpoint_name, deployment_config, retain_instance_counts)
        self._configure_variant_handles()
        if autoscaling_detached:
            Annotations.of(self).add_info(
                "Autoscaling is detached for this deploy: no scalable targets are registered. "
                "Re-attach it in the next deploy."
            )

    @staticmethod
    def from_endpoint_name(scope: Construct, construct_id: str, endpoint_name: str) -> IEndpoint:
        """Import an endpoint by name (of this account and region).

        :param endpoint_name: its name.
        """
        imported = _ImportedEndpoint(scope, construct_id, endpoint_name, None)
        check_name(imported, "endpoint_name", endpoint_name)
        return imported

    @staticmethod
    def from_endpoint_arn(scope: Construct, construct_id: str, endpoint_arn: str) -> IEndpoint:
        """Import an endpoint by ARN.

        The ARN has the form ``arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>``.

        :param endpoint_arn: its ARN.
        """
        if not is_token(endpoint_arn):
            require(
                ":endpoint/" in endpoint_arn and endpoint_arn.startswith("arn:"),
                scope,
                "endpoint_arn",
                endpoint_arn,
                "is not a SageMaker endpoint ARN",
                "pass arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>",
            )
        name = Arn.split(endpoint_arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name
        assert name is not None
        return _ImportedEndpoint(scope, construct_id, name, endpoint_arn)

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

    # -- configuration steps ----------------------------------------------------------------

    @property
    def _is_serverless(self) -> bool:
        return any(v.serverless is not None for v in self._variants)

    @property
    def _models(self) -> list[IModel]:
        return [v.model for v in (*self._variants, *([self._shadow] if self._shadow else []))]

    @property
    def _instance_types(self) -> list[str]:
        every = [*self._variants, *([self._shadow] if self._shadow else [])]
        return [v.instance_type for v in every if v.instance_type]

    def _configure_encryption(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> None:
        local_storage = [t for t in self._instance_types if has_local_nvme_storage(t)]
        if encryption_key is not None and local_storage:
            raise InvalidPropsError(
                self,
                "encryption_key",
                local_storage[0],
                "is set while a variant uses an instance type with local NVMe storage, "
                "which SageMaker encrypts in hardware and for which it refuses KmsKeyId",
                "drop encryption_key, or use an instance type without local storage",
            )
        #: The key of the instances' ML storage volumes (None: serverless or local NVMe).
        self.encryption_key: kms.IKey | None = encryption_key
        if not self._is_serverless and not local_storage:
            self.encryption_key = key_or_new(
                self,
                encryption_key,
                description=f"Encrypts the ML storage volumes of endpoint {self.node.path}",
                removal_policy=removal_policy,
                construct_id="VolumeKey",
            )

    def _configure_deployment(
        self, deployment_policy: DeploymentPolicy | None
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty | None:
        # Guardrails apply to instance-backed and async endpoints only: a serverless
        # endpoint gets no DeploymentConfig (DeploymentPolicy refuses one).
        serverless = self._is_serverless
        policy = deployment_policy or (None if serverless else DeploymentPolicy.all_at_once())
        #: The update policy; None for a serverless endpoint (no guardrails apply).
        self.deployment_policy: DeploymentPolicy | None = policy
        if policy is None:
            return None
        if policy.mode != "ALL_AT_ONCE":
            inf1 = [t for t in self._instance_types if is_inf1(t)]
            require(
                not inf1,
                self,
                "deployment_policy",
                f"{policy.mode.lower()} on {inf1[0] if inf1 else ''}",
                "would silently fall back to all-at-once: SageMaker does not shift traffic "
                "gradually on Inf1 instances",
                "use DeploymentPolicy.all_at_once(), or a non-Inf1 instance type",
            )
        counts = [v.initial_instance_count for v in self._variants if v.instance_type]
        rendered = policy._render(self, counts, serverless)
        # SageMaker reads the rollback alarms' state during a guarded deployment.
        if policy.rollback_alarms:
            for model in self._models:
                iam.Grant.add_to_principal(
                    grantee=grantee_of(model),
                    actions=["cloudwatch:DescribeAlarms"],
                    resource_arns=[a.alarm_arn for a in policy.rollback_alarms],
                )
        return rendered

    def _configure_config(
        self, data_capture: DataCapture | None, async_inference: AsyncInference | None
    ) -> None:
        models = self._models
        self._config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[v._render() for v in self._variants],
            shadow_production_variants=[self._shadow._render()] if self._shadow else None,
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            data_capture_config=data_capture._render(self, models) if data_capture else None,
            async_inference_config=(
                async_inference._render(self, models) if async_inference else None
            ),
        )
        #: The name of the current endpoint configuration (new on every change).
        self.endpoint_config_name: str = self._config.attr_endpoint_config_name
        if self.encryption_key is None:
            reason = (
                "Serverless endpoints have no ML storage volume to encrypt with a key of ours."
                if self._is_serverless
                else "Instance types with local NVMe storage are encrypted in hardware and "
                "SageMaker refuses a volume KmsKeyId for them."
            )
            for rule in (
                "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
                "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
            ):
                acknowledge(self._config, rule, reason)

    def _configure_endpoint(
        self,
        endpoint_name: str | None,
        deployment_config: sagemaker.CfnEndpoint.DeploymentConfigProperty | None,
        retain_instance_counts: bool,
    ) -> None:
        retained = (
            [sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")]
            if retain_instance_counts
            else None
        )
        self._resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self._config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
            deployment_config=deployment_config,
            retain_all_variant_properties=retain_instance_counts or None,
            exclude_retained_variant_properties=retained,
        )
        #: The endpoint's name (a token when generated).
        self.endpoint_name: str = self._resource.attr_endpoint_name
        # The ARN as SageMaker reports it: SageMaker lower-cases the name in its ARNs, so an
        # ARN formatted from a mixed-case (e.g. generated) name would not match in IAM.
        #: The endpoint's ARN.
        self.endpoint_arn: str = self._resource.attr_endpoint_arn

    def _configure_variant_handles(self) -> None:
        def handle(v: ProductionVariant, shadow: bool) -> EndpointVariant:
            count = v.initial_instance_count if v.instance_type else None
            return EndpointVariant(
                self, v.name, v.instance_type, count, v.serverless is not None, is_shadow=shadow
            )

        #: The production variants, in order.
        self.variants: tuple[EndpointVariant, ...] = tuple(handle(v, False) for v in self._variants)
        #: The shadow variant, if any.
        self.shadow_variant: EndpointVariant | None = (
            handle(self._shadow, True) if self._shadow else None
        )

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
            v._validate(self, require_multi_az=self.require_multi_az)
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
                v._check_serverless_model(self)
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


class _ImportedEndpoint(_EndpointBase):
    def __init__(
        self, scope: Construct, construct_id: str, endpoint_name: str, endpoint_arn: str | None
    ):
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.fixed_name = None if is_token(endpoint_name) else endpoint_name
        # SageMaker lower-cases endpoint names in its ARNs.
        self.endpoint_arn = endpoint_arn or Stack.of(self).format_arn(
            service="sagemaker",
            resource="endpoint",
            resource_name=endpoint_name if is_token(endpoint_name) else endpoint_name.lower(),
        )
