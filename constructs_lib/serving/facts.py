"""Facts of the SageMaker and Application Auto Scaling services, each stated once.

Every construct that needs one of these names or limits imports it from here, so a fact the
service changes is changed in one place. Metric names and namespaces live in
:mod:`constructs_lib.serving.metrics`, the one source of endpoint metrics.
"""

from __future__ import annotations

__all__ = [
    "AUTOSCALING_SERVICE_LINKED_ROLE",
    "ENDPOINT_LOG_GROUP_PREFIX",
    "MAX_PRODUCTION_VARIANTS",
    "MAX_ROLLBACK_ALARMS",
]

#: SageMaker writes an endpoint's container logs to ``/aws/sagemaker/Endpoints/<EndpointName>``.
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"

#: The path and name of the service-linked role through which Application Auto Scaling
#: scales endpoint variants (it calls ``UpdateEndpointWeightsAndCapacities``); its ARN is
#: ``arn:<partition>:iam::<account>:role/`` followed by this.
AUTOSCALING_SERVICE_LINKED_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)

#: SageMaker's limit on production variants per endpoint configuration.
MAX_PRODUCTION_VARIANTS = 10

#: SageMaker's limit on auto-rollback alarms per deployment.
MAX_ROLLBACK_ALARMS = 10
