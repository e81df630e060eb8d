"""The reference app's serving stack: one environment's model endpoint, built from config."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
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
from stacks.config import DeploymentSettings, EnvironmentConfig, VariantSettings

__all__ = ["ServingStack"]

ROOT = Path(__file__).resolve().parent.parent
#: The shipped model's inference code is loaded by the scikit-learn serving container.
MODEL_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
}


class ServingStack(Stack):
    """A SageMaker endpoint with its models, update policy, rollback alarms and autoscaling.

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

        self.topic = _alarm_topic(self, config.notifications.emails)
        variants = [self._variant(v) for v in settings.variants]
        rollback_alarms = _rollback_alarms(
            self, endpoint_name, settings.variants, settings.deployment, self.topic
        )
        self.endpoint = Endpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            variants=variants,
            deployment_policy=_policy(settings.deployment, rollback_alarms),
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
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)

    def _variant(self, v: VariantSettings) -> ProductionVariant:
        model = Model(
            self,
            f"Model{_pascal(v.name)}",
            image=ContainerImage.sagemaker_scikit_learn(),
            model_data=ModelData.from_asset(str(ROOT / v.model_artifact)),
            environment=MODEL_ENVIRONMENT,
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


def _alarm_topic(scope: Construct, emails: list[str]) -> sns.Topic:
    key = kms.Key(
        scope,
        "AlarmTopicKey",
        description="Encrypts the endpoint alarm notifications",
        enable_key_rotation=True,
    )
    key.grant(
        iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
    )
    topic = sns.Topic(scope, "AlarmTopic", master_key=key, enforce_ssl=True)
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic


def _rollback_alarms(
    scope: Construct,
    endpoint_name: str,
    variants: list[VariantSettings],
    deployment: DeploymentSettings,
    topic: sns.ITopic,
) -> list[cloudwatch.IAlarm]:
    """Per variant: 5XX error rate and p99 model latency, each notifying ``topic``."""
    settings = deployment.rollback_alarms
    if settings is None:
        return []
    alarms: list[cloudwatch.IAlarm] = []
    action = cw_actions.SnsAction(topic)
    for v in variants:
        dims = {"EndpointName": endpoint_name, "VariantName": v.name}

        def metric(name: str, statistic: str, dims: dict[str, str] = dims) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name=name,
                dimensions_map=dims,
                statistic=statistic,
                period=Duration.minutes(1),
            )

        error_rate = cloudwatch.MathExpression(
            expression="100 * FILL(errors, 0) / invocations",
            using_metrics={
                "errors": metric("Invocation5XXErrors", "Sum"),
                "invocations": metric("Invocations", "Sum"),
            },
            label=f"{v.name} 5XX error rate (%)",
            period=Duration.minutes(1),
        )
        latency = metric("ModelLatency", "p99")
        for kind, source, threshold in (
            ("5xx-rate", error_rate, settings.error_rate_percent),
            # SageMaker reports ModelLatency in microseconds.
            ("p99-latency", latency, settings.p99_latency_ms * 1000),
        ):
            alarm = cloudwatch.Alarm(
                scope,
                f"Rollback{_pascal(v.name)}{_pascal(kind)}",
                alarm_name=f"{endpoint_name}-{v.name}-{kind}",
                alarm_description=f"Rolls back a deployment of {endpoint_name} ({v.name} {kind})",
                metric=source,
                threshold=threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarms.append(alarm)
    return alarms


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))
