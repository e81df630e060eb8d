"""The reference app's serving stack: one environment's model endpoint, built from config."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_lib import (
    Capacity,
    ContainerImage,
    DeploymentPolicy,
    Endpoint,
    Model,
    ModelData,
    ProductionVariant,
    ServerlessConfig,
)
from constructs_lib.core import pascal_case
from stacks.config import DeploymentSettings, EnvironmentConfig, VariantSettings
from stacks.observability import add_endpoint_monitoring, plan_endpoint_alarms

__all__ = ["ServingStack"]

ROOT = Path(__file__).resolve().parent.parent
#: The shipped model's inference code is loaded by the scikit-learn serving container.
MODEL_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
}


class ServingStack(Stack):
    """A monitored SageMaker endpoint: models, update policy, autoscaling, alarms, logs, audit.

    :param project: the project name (prefixes the endpoint name).
    :param env_name: the environment name, e.g. ``prod``.
    :param config: the environment's validated configuration.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: str,
        env_name: str,
        config: EnvironmentConfig,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        settings = config.endpoint
        # A known name lets the rollback alarms watch the endpoint's metrics before the
        # endpoint exists (the endpoint needs the alarms at creation).
        endpoint_name = settings.name or f"{project}-{env_name}"

        # Guardrails apply to instance-backed (and async) endpoints only.
        deployment = settings.deployment or DeploymentSettings()
        variants = [self._variant(v, isolated=settings.isolated) for v in settings.variants]
        plan = plan_endpoint_alarms(
            self,
            endpoint_name=endpoint_name,
            variants=variants,
            notifications=config.notifications,
            settings=config.observability,
            deployment=None if settings.is_serverless else deployment,
        )
        self.alarms = plan.alarms
        self.topic = plan.topic.topic
        self.endpoint = Endpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            variants=variants,
            deployment_policy=(
                None if settings.is_serverless else _policy(deployment, plan.rollback_alarms)
            ),
            autoscaling_detached=settings.detach_autoscaling,
            require_multi_az=config.production,
        )
        for v in settings.variants:
            if v.autoscaling is None:
                continue
            a = v.autoscaling
            scaling = self.endpoint.find_variant(v.name).auto_scale_instance_count(
                min_capacity=a.min_capacity, max_capacity=a.max_capacity
            )
            scaling.scale_on_invocations(
                max_requests_per_second=a.max_requests_per_second,
                safety_factor=a.safety_factor,
                scale_in_cooldown=Duration.seconds(a.scale_in_cooldown_seconds),
                scale_out_cooldown=Duration.seconds(a.scale_out_cooldown_seconds),
            )

        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "VariantNames", value=",".join(self.endpoint.variant_names))
        CfnOutput(self, "NotificationTopicArn", value=self.topic.topic_arn)
        add_endpoint_monitoring(
            self,
            endpoint=self.endpoint,
            endpoint_name=endpoint_name,
            plan=plan,
            settings=config.observability,
        )

    def _variant(self, v: VariantSettings, *, isolated: bool) -> ProductionVariant:
        model = Model(
            self,
            f"Model{pascal_case(v.name)}",
            image=ContainerImage.sagemaker_scikit_learn(),
            model_data=ModelData.from_asset(str(ROOT / v.model_artifact)),
            environment=MODEL_ENVIRONMENT,
            # The scikit-learn container needs no network: SageMaker downloads the artifact.
            network_isolation=isolated,
        )
        serverless = None
        if v.serverless is not None:
            serverless = ServerlessConfig(
                memory_size_mb=v.serverless.memory_mb,
                max_concurrency=v.serverless.max_concurrency,
                provisioned_concurrency=v.serverless.provisioned_concurrency,
            )
        return ProductionVariant(
            name=v.name,
            model=model,
            initial_weight=v.weight,
            instance_type=v.instance_type,
            initial_instance_count=v.instance_count,
            serverless=serverless,
        )


def _policy(
    settings: DeploymentSettings, rollback_alarms: list[cloudwatch.IAlarm]
) -> DeploymentPolicy:
    common: dict[str, object] = {
        "max_execution_time": (
            Duration.minutes(settings.max_execution_minutes)
            if settings.max_execution_minutes
            else None
        ),
        "rollback_alarms": rollback_alarms,
        "allow_composite_alarms": settings.rollback_on == "composite",
    }
    if settings.rolling:
        return DeploymentPolicy.rolling(
            batch_size=Capacity.percent(settings.rolling.batch_percent),
            wait=Duration.minutes(settings.rolling.wait_minutes),
            **common,  # type: ignore[arg-type]
        )
    common["termination_wait"] = Duration.minutes(settings.termination_wait_minutes)
    if settings.canary:
        return DeploymentPolicy.canary(
            size=Capacity.percent(settings.canary.percent),
            wait=Duration.minutes(settings.canary.wait_minutes),
            **common,  # type: ignore[arg-type]
        )
    if settings.linear:
        return DeploymentPolicy.linear(
            step=Capacity.percent(settings.linear.step_percent),
            wait=Duration.minutes(settings.linear.wait_minutes),
            **common,  # type: ignore[arg-type]
        )
    return DeploymentPolicy.all_at_once(**common)  # type: ignore[arg-type]
