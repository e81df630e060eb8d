"""Serving: models, multi-variant endpoints, deployment policies, autoscaling and metrics.

One concern per module: ``model`` (images, model data, registry packages, the model and
its role), ``variants`` (what a variant serves and on what capacity), ``capture`` (data
capture and async output), ``endpoint`` (the endpoint, its variants, imports),
``deployment`` (guarded updates), ``autoscaling``, ``metrics`` (the one source of endpoint
metrics) and ``facts`` (service names and limits).
"""

from constructs_lib.serving.autoscaling import ScheduledScalingAction, VariantAutoScaling
from constructs_lib.serving.capture import AsyncInference, DataCapture
from constructs_lib.serving.deployment import Capacity, DeploymentPolicy
from constructs_lib.serving.endpoint import Endpoint, EndpointVariant, IEndpoint
from constructs_lib.serving.facts import MAX_PRODUCTION_VARIANTS, MAX_ROLLBACK_ALARMS
from constructs_lib.serving.metrics import EndpointMetrics, VariantMetrics
from constructs_lib.serving.model import (
    ContainerImage,
    ContainerImageConfig,
    IModel,
    Model,
    ModelData,
    ModelDataConfig,
    ModelPackage,
)
from constructs_lib.serving.variants import ProductionVariant, ServerlessConfig

__all__ = [
    "MAX_PRODUCTION_VARIANTS",
    "MAX_ROLLBACK_ALARMS",
    "AsyncInference",
    "Capacity",
    "ContainerImage",
    "ContainerImageConfig",
    "DataCapture",
    "DeploymentPolicy",
    "Endpoint",
    "EndpointMetrics",
    "EndpointVariant",
    "IEndpoint",
    "IModel",
    "Model",
    "ModelData",
    "ModelDataConfig",
    "ModelPackage",
    "ProductionVariant",
    "ScheduledScalingAction",
    "ServerlessConfig",
    "VariantAutoScaling",
    "VariantMetrics",
]
