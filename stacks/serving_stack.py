"""The reference app's serving stack: one environment's model endpoint, built from config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from stacks.config import (
    AutoscalingSettings,
    DeploymentSettings,
    EnvironmentConfig,
    VariantSettings,
    given,
)
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

        # Instance-backed endpoints default to blue/green all-at-once rolling back on the
        # rollback alarms; a serverless one has no guardrails (the library refuses a policy
        # given for it, naming the key).
        deployment = settings.deployment
        if deployment is None and not settings.is_serverless:
            deployment = DeploymentSettings()
        variants = self._variants(settings.variants, isolated=settings.isolated)
        plan = plan_endpoint_alarms(
            self,
            endpoint_name=endpoint_name,
            variants=variants,
            notifications=config.notifications,
            settings=config.observability,
            deployment=deployment,
        )
        self.alarms = plan.alarms
        self.topic = plan.topic.topic
        self.endpoint = Endpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            variants=variants,
            deployment_policy=_policy(deployment, plan.rollback_alarms) if deployment else None,
            autoscaling_detached=settings.autoscaling_detached,
            require_multi_az=config.production,
        )
        for v in settings.variants:
            if v.autoscaling is not None:
                self._autoscale(v.name, v.autoscaling)

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

    def _variants(
        self, settings: list[VariantSettings], *, isolated: bool
    ) -> list[ProductionVariant]:
        # One model per variant name: a repeated name reuses its model, so that the library
        # refuses the duplicate (naming the key) rather than a construct-id clash.
        models: dict[str, Model] = {}
        for v in settings:
            if v.name not in models:
                models[v.name] = self._model(v, isolated=isolated)
        return [_variant(v, models[v.name]) for v in settings]

    def _model(self, v: VariantSettings, *, isolated: bool) -> Model:
        return Model(
            self,
            f"Model{pascal_case(v.name)}",
            image=ContainerImage.sagemaker_scikit_learn(),
            model_data=ModelData.from_asset(str(ROOT / v.model_artifact)),
            environment=MODEL_ENVIRONMENT,
            # The scikit-learn container needs no network: SageMaker downloads the artifact.
            network_isolation=isolated,
        )

    def _autoscale(self, variant_name: str, a: AutoscalingSettings) -> None:
        scaling = self.endpoint.find_variant(variant_name).auto_scale_instance_count(
            min_capacity=a.min_capacity, max_capacity=a.max_capacity
        )
        scaling.scale_on_invocations(
            "InvocationsTracking",
            max_requests_per_second=a.max_requests_per_second,
            **given(
                safety_factor=a.safety_factor,
                scale_in_cooldown=_seconds(a.scale_in_cooldown_seconds),
                scale_out_cooldown=_seconds(a.scale_out_cooldown_seconds),
            ),
        )


def _variant(v: VariantSettings, model: Model) -> ProductionVariant:
    serverless = None
    if v.serverless is not None:
        serverless = ServerlessConfig(
            **given(
                memory_size_mb=v.serverless.memory_mb,
                max_concurrency=v.serverless.max_concurrency,
                provisioned_concurrency=v.serverless.provisioned_concurrency,
            )
        )
    return ProductionVariant(
        name=v.name,
        model=model,
        instance_type=v.instance_type,
        serverless=serverless,
        **given(initial_weight=v.weight, initial_instance_count=v.instance_count),
    )


def _policy(
    settings: DeploymentSettings, rollback_alarms: list[cloudwatch.IAlarm]
) -> DeploymentPolicy:
    common: dict[str, Any] = {
        "rollback_alarms": rollback_alarms,
        "allow_composite_alarms": settings.rollback_on == "composite",
        **given(max_execution_time=_minutes(settings.max_execution_minutes)),
    }
    if settings.rolling:
        # The schema refuses termination_wait_minutes here: rolling updates have none.
        return DeploymentPolicy.rolling(
            **given(
                batch_size=_percent(settings.rolling.batch_percent),
                wait=_minutes(settings.rolling.wait_minutes),
            ),
            **common,
        )
    common.update(given(termination_wait=_minutes(settings.termination_wait_minutes)))
    if settings.canary:
        return DeploymentPolicy.canary(
            **given(
                size=_percent(settings.canary.percent),
                wait=_minutes(settings.canary.wait_minutes),
            ),
            **common,
        )
    if settings.linear:
        return DeploymentPolicy.linear(
            **given(
                step=_percent(settings.linear.step_percent),
                wait=_minutes(settings.linear.wait_minutes),
            ),
            **common,
        )
    return DeploymentPolicy.all_at_once(**common)


def _percent(value: int | None) -> Capacity | None:
    return None if value is None else Capacity.percent(value)


def _minutes(value: int | None) -> Duration | None:
    return None if value is None else Duration.minutes(value)


def _seconds(value: int | None) -> Duration | None:
    return None if value is None else Duration.seconds(value)
