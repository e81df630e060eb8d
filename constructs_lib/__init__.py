"""AWS CDK constructs that take a trained model to production on Amazon SageMaker.

The serving API is re-exported here; each concern lives in its own sub-package:
``serving`` (models, endpoints, deployment policies, autoscaling), ``observability``
(alarms, alarm actions, dashboards, logs, audit trail, endpoint events; import from
``constructs_lib.observability``) and ``compliance`` (cdk-nag rule packs applied to an app).
"""

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    MAX_PRODUCTION_VARIANTS,
    MAX_ROLLBACK_ALARMS,
    AsyncInference,
    Capacity,
    ContainerImage,
    ContainerImageConfig,
    DataCapture,
    DeploymentPolicy,
    Endpoint,
    EndpointMetrics,
    EndpointVariant,
    IEndpoint,
    IModel,
    Model,
    ModelData,
    ModelDataConfig,
    ModelPackage,
    ProductionVariant,
    ScheduledScalingAction,
    ServerlessConfig,
    VariantAutoScaling,
    VariantMetrics,
)

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
    "InvalidPropsError",
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
