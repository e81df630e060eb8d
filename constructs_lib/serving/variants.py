"""What one production variant serves and on what capacity: instances or serverless.

:class:`ProductionVariant` describes a variant of an :class:`~constructs_lib.serving.Endpoint`
(its model, traffic weight, and instance type + count or :class:`ServerlessConfig`). The
endpoint checks each variant against SageMaker's limits and renders it into the endpoint
configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sagemaker as sagemaker
from constructs import IConstruct

from constructs_lib.core import (
    InvalidPropsError,
    check_duration_seconds,
    check_name,
    check_range,
    is_token,
    require,
)
from constructs_lib.serving.instance_types import INSTANCE_TYPE_PATTERN
from constructs_lib.serving.model import IModel, Model

__all__ = ["SERVERLESS_MEMORY_SIZES", "ProductionVariant", "ServerlessConfig"]

#: The memory sizes a serverless variant may have, in MB.
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

    def _validate(self, scope: IConstruct, prefix: str) -> None:
        if self.memory_size_mb not in SERVERLESS_MEMORY_SIZES and not is_token(self.memory_size_mb):
            raise InvalidPropsError(
                scope,
                f"{prefix}.memory_size_mb",
                self.memory_size_mb,
                "is not a serverless memory size",
                f"use one of {', '.join(map(str, SERVERLESS_MEMORY_SIZES))}",
            )
        check_range(scope, f"{prefix}.max_concurrency", self.max_concurrency, 1, 200, integer=True)
        check_range(
            scope,
            f"{prefix}.provisioned_concurrency",
            self.provisioned_concurrency,
            1,
            self.max_concurrency,
            integer=True,
        )

    def _render(self) -> sagemaker.CfnEndpointConfig.ServerlessConfigProperty:
        return sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
            max_concurrency=self.max_concurrency,
            memory_size_in_mb=self.memory_size_mb,
            provisioned_concurrency=self.provisioned_concurrency,
        )


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

    def _validate(self, scope: IConstruct, *, require_multi_az: bool) -> None:
        prefix = f"variants[{self.name}]"
        check_name(scope, f"{prefix}.name", self.name)
        self._validate_model_and_weight(scope, prefix)
        if (self.instance_type is None) == (self.serverless is None):
            raise InvalidPropsError(
                scope,
                f"{prefix}.instance_type",
                self.instance_type,
                "and serverless are both set" if self.serverless else "is missing",
                "give either instance_type (and initial_instance_count) or serverless",
            )
        if self.instance_type is not None:
            self._validate_instances(scope, prefix, require_multi_az)
        if self.serverless is not None:
            self.serverless._validate(scope, f"{prefix}.serverless")
            require(
                self.volume_size_gb is None,
                scope,
                f"{prefix}.volume_size_gb",
                self.volume_size_gb,
                "applies to instance variants only",
                "drop volume_size_gb from the serverless variant",
            )
        for prop, value in (
            ("model_data_download_timeout", self.model_data_download_timeout),
            ("container_startup_health_check_timeout", self.container_startup_health_check_timeout),
        ):
            check_duration_seconds(scope, f"{prefix}.{prop}", value, 60, 3600)

    def _validate_model_and_weight(self, scope: IConstruct, prefix: str) -> None:
        if not isinstance(self.model, IModel):
            raise InvalidPropsError(
                scope,
                f"{prefix}.model",
                type(self.model).__name__,
                "is not a model",
                "pass a Model or Model.from_model_name(...)",
            )
        weight = self.initial_weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise InvalidPropsError(
                scope, f"{prefix}.initial_weight", weight, "is not a number", "pass a number >= 0"
            )
        check_range(scope, f"{prefix}.initial_weight", weight, 0)

    def _validate_instances(self, scope: IConstruct, prefix: str, require_multi_az: bool) -> None:
        assert self.instance_type is not None
        if not is_token(self.instance_type) and not INSTANCE_TYPE_PATTERN.match(self.instance_type):
            raise InvalidPropsError(
                scope,
                f"{prefix}.instance_type",
                self.instance_type,
                "is not a SageMaker instance type",
                "use the form ml.<family>.<size>, e.g. ml.m5.large or ml.g5.xlarge",
            )
        check_range(
            scope,
            f"{prefix}.initial_instance_count",
            self.initial_instance_count,
            1,
            None,
            integer=True,
        )
        count = self.initial_instance_count
        # Multi-AZ: SageMaker spreads a variant's instances over zones only from 2 up.
        if require_multi_az and not is_token(count) and count < 2:
            raise InvalidPropsError(
                scope,
                f"{prefix}.initial_instance_count",
                count,
                "is below 2 while the endpoint requires multi-AZ: SageMaker spreads a "
                "variant's instances across Availability Zones only from 2 instances up",
                "run at least 2 instances per variant (or drop require_multi_az outside "
                "production)",
            )
        check_range(scope, f"{prefix}.volume_size_gb", self.volume_size_gb, 1, 512, integer=True)

    def _check_serverless_model(self, scope: IConstruct) -> None:
        # SageMaker serverless inference supports neither network isolation nor VPC config.
        model = self.model
        if not isinstance(model, Model):
            return
        for prop, on, what in (
            ("network_isolation", model.network_isolation, "network isolation"),
            ("vpc", model.vpc is not None, "a VPC configuration"),
        ):
            require(
                not on,
                scope,
                f"variants[{self.name}].model.{prop}",
                model.node.path,
                f"is a serverless variant whose model has {what}, which SageMaker serverless "
                "inference does not support",
                f"create the model without {prop}, or serve it from instances",
            )

    def _render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        def seconds(value: Duration | None) -> float | None:
            return value.to_seconds() if value else None

        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=self.name,
            model_name=self.model.model_name,
            initial_variant_weight=float(self.initial_weight),
            instance_type=self.instance_type,
            initial_instance_count=self.initial_instance_count if self.instance_type else None,
            serverless_config=self.serverless._render() if self.serverless else None,
            volume_size_in_gb=self.volume_size_gb,
            model_data_download_timeout_in_seconds=seconds(self.model_data_download_timeout),
            container_startup_health_check_timeout_in_seconds=seconds(
                self.container_startup_health_check_timeout
            ),
        )
