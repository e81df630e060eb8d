#!/usr/bin/env python3
"""A team's own CDK app that imports the library (``pip install sagemaker-mlops-constructs``).

It serves a model from its own ECR repository and S3 bucket behind a two-variant endpoint
with a linear traffic shift, autoscaling and an invoker role, without the reference stacks.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from constructs_lib import (
    Capacity,
    ContainerImage,
    DeploymentPolicy,
    Endpoint,
    EndpointMetrics,
    Model,
    ModelData,
    ProductionVariant,
)


def build(app: App) -> Stack:
    """The consumer's stack."""
    stack = Stack(app, "FraudScoring")
    repo = ecr.Repository.from_repository_name(stack, "Repo", "fraud-model")
    bucket = s3.Bucket.from_bucket_name(stack, "Artifacts", "acme-ml-artifacts")
    models = {
        name: Model(
            stack,
            f"Model-{name}",
            image=ContainerImage.from_ecr_repository(repo, tag=tag),
            model_data=ModelData.from_bucket(bucket, f"fraud/{tag}/model.tar.gz"),
        )
        for name, tag in (("current", "v7"), ("candidate", "v8"))
    }
    topic = sns.Topic.from_topic_arn(
        stack, "OnCall", "arn:aws:sns:us-east-1:123456789012:ml-on-call"
    )
    # The rollback alarm watches the endpoint by name: it exists before the endpoint.
    errors = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=EndpointMetrics("fraud-scoring").variant("candidate").invocation_5xx_errors(),
        threshold=5,
        evaluation_periods=2,
    )
    errors.add_alarm_action(cw_actions.SnsAction(topic))
    endpoint = Endpoint(
        stack,
        "Endpoint",
        endpoint_name="fraud-scoring",
        variants=[
            ProductionVariant(
                name="current",
                model=models["current"],
                initial_weight=80,
                instance_type="ml.c5.xlarge",
                initial_instance_count=2,
            ),
            ProductionVariant(
                name="candidate",
                model=models["candidate"],
                initial_weight=20,
                instance_type="ml.c5.xlarge",
                initial_instance_count=2,
            ),
        ],
        deployment_policy=DeploymentPolicy.linear(
            step=Capacity.percent(25), wait=Duration.minutes(3), rollback_alarms=[errors]
        ),
        require_multi_az=True,
    )
    endpoint.find_variant("current").auto_scale_instance_count(
        min_capacity=2, max_capacity=8
    ).scale_on_invocations("InvocationsTracking", invocations_per_instance=600)
    invoker = iam.Role(stack, "Invoker", assumed_by=iam.AccountRootPrincipal())
    endpoint.grant_invoke(invoker)
    return stack


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
