"""Serving: models, multi-variant endpoints, deployment policies and autoscaling."""

from constructs_lib.serving.autoscaling import VariantAutoScaling
from constructs_lib.serving.deployment import MAX_ROLLBACK_ALARMS, Capacity, DeploymentPolicy
from constructs_lib.serving.endpoint import (
    MAX_PRODUCTION_VARIANTS,
    AsyncInference,
    DataCapture,
    Endpoint,
    EndpointVariant,
    ProductionVariant,
    ServerlessConfig,
)
from constructs_lib.serving.model import ContainerImage, IModel, Model, ModelData, ModelPackage

__all__ = [
    "MAX_PRODUCTION_VARIANTS",
    "MAX_ROLLBACK_ALARMS",
    "AsyncInference",
    "Capacity",
    "ContainerImage",
    "DataCapture",
    "DeploymentPolicy",
    "Endpoint",
    "EndpointVariant",
    "IModel",
    "Model",
    "ModelData",
    "ModelPackage",
    "ProductionVariant",
    "ServerlessConfig",
    "VariantAutoScaling",
]
