"""Every prop that SageMaker, Application Auto Scaling or CloudFormation would reject.

Each case builds the bad construct in a fresh stack and expects an ``InvalidPropsError``
whose message names the construct path, the bad value and a fix. Nothing is synthesized.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    MAX_PRODUCTION_VARIANTS,
    MAX_ROLLBACK_ALARMS,
    AsyncInference,
    Capacity,
    ContainerImage,
    DataCapture,
    DeploymentPolicy,
    Endpoint,
    Model,
    ModelData,
    ModelPackage,
    ServerlessConfig,
    VariantAutoScaling,
)

from .builders import IMAGE_URI, artifact_bucket, assert_names, new_model, new_stack, variant

ENDPOINT = "Stack/Endpoint"
MODEL = "Stack/Model"
PACKAGE_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"
SKLEARN = ContainerImage.sagemaker_scikit_learn()
SERVERLESS = ServerlessConfig()


# -- small builders (every case gets a fresh stack) --------------------------------------


def model(stack: cdk.Stack, construct_id: str = "Model", **kwargs: Any) -> Model:
    return new_model(stack, construct_id, data_key=None, **kwargs)


def endpoint(stack: cdk.Stack, variants: list[Any] | None = None, **kwargs: Any) -> Endpoint:
    if variants is None:
        variants = [variant("main", model(stack), initial_instance_count=4)]
    return Endpoint(stack, "Endpoint", variants=variants, **kwargs)


def with_variants(**kwargs: Any) -> Callable[[cdk.Stack], Any]:
    """An endpoint with one variant built from ``kwargs``."""
    return lambda s: endpoint(s, [variant("main", model(s), **kwargs)])


def two_variants(stack: cdk.Stack, **kwargs: Any) -> list[Any]:
    shared = model(stack)
    return [
        variant("blue", shared, initial_instance_count=4, **kwargs),
        variant("green", shared, initial_instance_count=4, **kwargs),
    ]


def with_policy(policy: DeploymentPolicy | Callable[[cdk.Stack], DeploymentPolicy]) -> Any:
    """A 4-instance single-variant endpoint under ``policy``."""

    def build(stack: cdk.Stack) -> Endpoint:
        resolved = policy(stack) if callable(policy) else policy
        return endpoint(stack, deployment_policy=resolved)

    return build


def alarms(stack: cdk.Stack, count: int) -> list[cloudwatch.IAlarm]:
    return [
        cloudwatch.Alarm.from_alarm_arn(
            stack, f"Alarm{i}", f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a{i}"
        )
        for i in range(count)
    ]


def metric_alarm(
    stack: cdk.Stack, name: str, missing: cloudwatch.TreatMissingData | None = None
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        stack,
        name,
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
        treat_missing_data=missing,
    )


def composite_alarm(stack: cdk.Stack) -> cloudwatch.CompositeAlarm:
    return cloudwatch.CompositeAlarm(
        stack,
        "Composite",
        alarm_rule=cloudwatch.AlarmRule.from_alarm(
            metric_alarm(stack, "Child"), cloudwatch.AlarmState.ALARM
        ),
    )


def vpc(stack: cdk.Stack) -> Any:
    from aws_cdk import aws_ec2 as ec2

    return ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
    )


def same_alarm_twice(stack: cdk.Stack) -> DeploymentPolicy:
    alarm = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
    )
    return DeploymentPolicy.canary(rollback_alarms=[alarm, alarm])


def same_imported_alarm_twice(stack: cdk.Stack) -> DeploymentPolicy:
    arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors"
    first = cloudwatch.Alarm.from_alarm_arn(stack, "First", arn)
    second = cloudwatch.Alarm.from_alarm_arn(stack, "Second", arn)
    return DeploymentPolicy.linear(rollback_alarms=[first, second])


def scaled(
    min_capacity: int,
    max_capacity: int,
    *,
    instance_type: str = "ml.m5.large",
    count: int = 2,
    **endpoint_kwargs: Any,
) -> Callable[[cdk.Stack], VariantAutoScaling]:
    """Autoscale the one variant of an endpoint."""

    def build(stack: cdk.Stack) -> VariantAutoScaling:
        ep = endpoint(
            stack,
            [
                variant(
                    "main", model(stack), instance_type=instance_type, initial_instance_count=count
                )
            ],
            **endpoint_kwargs,
        )
        return ep.find_variant("main").auto_scale_instance_count(
            min_capacity=min_capacity, max_capacity=max_capacity
        )

    return build


def then(
    build: Callable[[cdk.Stack], VariantAutoScaling], call: Callable[[VariantAutoScaling], Any]
) -> Callable[[cdk.Stack], Any]:
    return lambda stack: call(build(stack))


def capture(stack: cdk.Stack, **kwargs: Any) -> DataCapture:
    return DataCapture(bucket=artifact_bucket(stack), **kwargs)


def async_config(stack: cdk.Stack, **kwargs: Any) -> AsyncInference:
    return AsyncInference(output_bucket=artifact_bucket(stack), **kwargs)


# -- the cases ---------------------------------------------------------------------------

Case = tuple[Callable[[cdk.Stack], Any], str, str, Any]

CASES: dict[str, Case] = {
    # variants
    "duplicate variant names": (
        lambda s: endpoint(s, [variant("main", model(s)), variant("main", model(s, "Other"))]),
        "appears more than once", ENDPOINT, "'main'",
    ),
    "shadow named like a production variant": (
        lambda s: endpoint(s, shadow_variant=variant("main", model(s, "Shadow"))),
        "appears more than once", ENDPOINT, "'main'",
    ),
    "negative weight": (with_variants(initial_weight=-0.5), "out of range", ENDPOINT, -0.5),
    "all weights zero": (
        lambda s: endpoint(s, two_variants(s, initial_weight=0.0)),
        "are all zero", ENDPOINT, "[0.0, 0.0]",
    ),
    "non-numeric weight": (with_variants(initial_weight="1"), "is not a number", ENDPOINT, "'1'"),
    "boolean weight": (with_variants(initial_weight=True), "is not a number", ENDPOINT, "True"),
    "no variants": (lambda s: endpoint(s, []), "1 to 10 production", ENDPOINT, "0 variants"),
    "11 variants": (
        lambda s: endpoint(
            s, [variant(f"v{i}", model(s, f"M{i}")) for i in range(MAX_PRODUCTION_VARIANTS + 1)]
        ),
        "1 to 10 production", ENDPOINT, "11 variants",
    ),
    "instance type without ml. prefix": (
        with_variants(instance_type="m5.large"), "is not a SageMaker instance type", ENDPOINT,
        "'m5.large'",
    ),
    "instance type without size": (
        with_variants(instance_type="ml.m5"), "is not a SageMaker instance type", ENDPOINT,
        "'ml.m5'",
    ),
    "instance type in upper case": (
        with_variants(instance_type="ml.M5.large"), "is not a SageMaker instance type", ENDPOINT,
        "'ml.M5.large'",
    ),
    "instance type and serverless": (
        with_variants(instance_type="ml.m5.large", serverless=SERVERLESS),
        "and serverless are both set", ENDPOINT, "'ml.m5.large'",
    ),
    "neither instance type nor serverless": (
        lambda s: endpoint(s, [variant("main", model(s), instance_type=None)]),
        "is missing", ENDPOINT, "instance_type=None",
    ),
    "invalid variant name": (
        lambda s: endpoint(s, [variant("blue_green", model(s))]),
        "is not a valid SageMaker name", ENDPOINT, "'blue_green'",
    ),
    "not a model": (
        lambda s: endpoint(s, [variant("main", "churn-model")]),  # type: ignore[arg-type]
        "is not a model", ENDPOINT, "str",
    ),
    "zero instances": (with_variants(initial_instance_count=0), "out of range", ENDPOINT, "=0"),
    "volume of 0 GB": (with_variants(volume_size_gb=0), "out of range", ENDPOINT, "=0"),
    "volume of 513 GB": (with_variants(volume_size_gb=513), "out of range", ENDPOINT, "513"),
    "download timeout of 59 s": (
        with_variants(model_data_download_timeout=Duration.seconds(59)),
        "is 59 s, out of range", ENDPOINT, "59 seconds",
    ),
    "startup timeout of 59 s": (
        with_variants(container_startup_health_check_timeout=Duration.seconds(59)),
        "is 59 s, out of range", ENDPOINT, "59 seconds",
    ),
    "startup timeout of 3601 s": (
        with_variants(container_startup_health_check_timeout=Duration.seconds(3601)),
        "is 3601 s, out of range", ENDPOINT, "1 hour 1 second",
    ),
    # serverless
    "serverless memory 1000": (
        with_variants(serverless=ServerlessConfig(memory_size_mb=1000)),
        "is not a serverless memory size", ENDPOINT, "1000",
    ),
    "serverless concurrency 0": (
        with_variants(serverless=ServerlessConfig(max_concurrency=0)),
        "out of range", ENDPOINT, "max_concurrency=0",
    ),
    "serverless concurrency 201": (
        with_variants(serverless=ServerlessConfig(max_concurrency=201)),
        "out of range", ENDPOINT, "201",
    ),
    "provisioned above max concurrency": (
        with_variants(serverless=ServerlessConfig(max_concurrency=10, provisioned_concurrency=11)),
        "out of range", ENDPOINT, "provisioned_concurrency=11",
    ),
    "serverless with a volume size": (
        with_variants(serverless=SERVERLESS, volume_size_gb=30),
        "applies to instance variants only", ENDPOINT, "30",
    ),
    "serverless mixed with instance variants": (
        lambda s: endpoint(
            s,
            [
                variant("main", model(s)),
                variant("lite", model(s, "Lite"), serverless=SERVERLESS),
            ],
        ),
        "mixes a serverless variant", ENDPOINT, "['main', 'lite']",
    ),
    "serverless with data capture": (
        lambda s: endpoint(
            s, [variant("main", model(s), serverless=SERVERLESS)], data_capture=capture(s)
        ),
        r"not supported with serverless variants \(data capture\)", ENDPOINT, "data_capture",
    ),
    "serverless with async inference": (
        lambda s: endpoint(
            s, [variant("main", model(s), serverless=SERVERLESS)], async_inference=async_config(s)
        ),
        r"not supported with serverless variants \(async inference\)", ENDPOINT,
        "async_inference",
    ),
    "serverless with a shadow": (
        lambda s: endpoint(
            s,
            [variant("main", model(s), serverless=SERVERLESS)],
            shadow_variant=variant("shadow", model(s, "Shadow")),
        ),
        r"not supported with serverless variants \(shadow variants\)", ENDPOINT,
        "shadow_variant",
    ),
    "canary on serverless": (
        lambda s: endpoint(
            s,
            [variant("main", model(s), serverless=SERVERLESS)],
            deployment_policy=DeploymentPolicy.canary(),
        ),
        "deployment guardrails .* apply only to real-time", ENDPOINT, "'canary'",
    ),
    "all-at-once with rollback alarms on serverless": (
        lambda s: endpoint(
            s,
            [variant("main", model(s), serverless=SERVERLESS)],
            deployment_policy=DeploymentPolicy.all_at_once(rollback_alarms=alarms(s, 1)),
        ),
        "is set on a serverless endpoint", ENDPOINT, "'all_at_once'",
    ),
    "serverless model with network isolation": (
        lambda s: endpoint(
            s,
            [variant("main", model(s, network_isolation=True), serverless=SERVERLESS)],
        ),
        "serverless inference does not support", ENDPOINT, "variants[main].model.network_isolation",
    ),
    "serverless model in a VPC": (
        lambda s: endpoint(
            s,
            [variant("main", model(s, vpc=vpc(s)), serverless=SERVERLESS)],
        ),
        "serverless inference does not support", ENDPOINT, "variants[main].model.vpc",
    ),
    "composite rollback alarm without the opt-in": (
        with_policy(lambda s: DeploymentPolicy.canary(rollback_alarms=[composite_alarm(s)])),
        "is a composite alarm", ENDPOINT, "Stack/Composite",
    ),
    "rollback alarm that breaches on missing data": (
        with_policy(
            lambda s: DeploymentPolicy.linear(
                rollback_alarms=[
                    metric_alarm(s, "Quiet", cloudwatch.TreatMissingData.BREACHING)
                ]
            )
        ),
        "treats missing data as breaching", ENDPOINT, "rollback_alarms[0]",
    ),
    # shadow
    "shadow with two production variants": (
        lambda s: endpoint(s, two_variants(s), shadow_variant=variant("shadow", model(s, "S"))),
        "needs exactly one production variant, got 2", ENDPOINT, "'shadow'",
    ),
    "serverless shadow": (
        lambda s: endpoint(
            s, shadow_variant=variant("shadow", model(s, "Shadow"), serverless=SERVERLESS)
        ),
        "shadow variants must be instance-backed", ENDPOINT, "'shadow'",
    ),
    "shadow on an async endpoint": (
        lambda s: endpoint(
            s,
            shadow_variant=variant("shadow", model(s, "Shadow")),
            async_inference=async_config(s),
        ),
        "shadow testing is for real-time endpoints", ENDPOINT, "'shadow'",
    ),
    # deployment policy: sizes
    "canary of 0 percent": (
        with_policy(DeploymentPolicy.canary(size=Capacity.percent(0))), "out of range", ENDPOINT,
        "size=0",
    ),
    "canary of 51 percent": (
        with_policy(DeploymentPolicy.canary(size=Capacity.percent(51))), "out of range", ENDPOINT,
        "size=51",
    ),
    "canary over half the fleet": (
        with_policy(DeploymentPolicy.canary(size=Capacity.instances(3))),
        "must be 1-50% of the variant's 4 instances", ENDPOINT, "'3 instances'",
    ),
    "canary on a single instance": (
        lambda s: endpoint(
            s,
            [variant("main", model(s))],
            deployment_policy=DeploymentPolicy.canary(size=Capacity.instances(1)),
        ),
        "of the variant's 1 instances", ENDPOINT, "'1 instances'",
    ),
    "linear step of 5 percent": (
        with_policy(DeploymentPolicy.linear(step=Capacity.percent(5))), "out of range", ENDPOINT,
        "step=5",
    ),
    "linear step of 60 percent": (
        with_policy(DeploymentPolicy.linear(step=Capacity.percent(60))), "out of range",
        ENDPOINT, "step=60",
    ),
    "linear step over half the fleet": (
        with_policy(DeploymentPolicy.linear(step=Capacity.instances(3))),
        "must be 10-50%", ENDPOINT, "'3 instances'",
    ),
    "rolling batch of 4 percent": (
        with_policy(DeploymentPolicy.rolling(batch_size=Capacity.percent(4))), "out of range",
        ENDPOINT, "batch_size=4",
    ),
    "rolling with two variants": (
        lambda s: endpoint(s, two_variants(s), deployment_policy=DeploymentPolicy.rolling()),
        "needs exactly one production variant, the endpoint has 2", ENDPOINT, "'rolling'",
    ),
    "size on all-at-once": (
        with_policy(dataclasses.replace(DeploymentPolicy.all_at_once(), size=Capacity.percent(10))),
        "has no meaning for an all-at-once deployment", ENDPOINT, "10%",
    ),
    # deployment policy: waits and timeouts
    "wait of 3601 s": (
        with_policy(DeploymentPolicy.canary(wait=Duration.seconds(3601))),
        "is 3601 s, out of range", ENDPOINT, "1 hour 1 second",
    ),
    "termination wait of 3601 s": (
        with_policy(DeploymentPolicy.all_at_once(termination_wait=Duration.seconds(3601))),
        "is 3601 s, out of range", ENDPOINT, "termination_wait=1 hour 1 second",
    ),
    "rolling wait of 2 hours": (
        with_policy(DeploymentPolicy.rolling(wait=Duration.hours(2))),
        "is 7200 s, out of range", ENDPOINT, "2 hours",
    ),
    "max execution time of 599 s": (
        with_policy(DeploymentPolicy.linear(max_execution_time=Duration.seconds(599))),
        "is 599 s, out of range", ENDPOINT, "9 minutes 59 seconds",
    ),
    "max execution time of 28801 s": (
        with_policy(DeploymentPolicy.all_at_once(max_execution_time=Duration.seconds(28801))),
        "is 28801 s, out of range", ENDPOINT, "8 hours 1 second",
    ),
    "max execution time not above the waits": (
        with_policy(
            DeploymentPolicy.canary(
                wait=Duration.hours(1),
                termination_wait=Duration.hours(1),
                max_execution_time=Duration.hours(2),
            )
        ),
        r"is not longer than wait \+ termination_wait \(7200 s\)", ENDPOINT, "2 hours",
    ),
    # deployment policy: alarms and conflicting settings
    "11 rollback alarms": (
        with_policy(
            lambda s: DeploymentPolicy.canary(rollback_alarms=alarms(s, MAX_ROLLBACK_ALARMS + 1))
        ),
        "exceeds SageMaker's limit of 10", ENDPOINT, "11 alarms",
    ),
    "the same alarm twice": (
        with_policy(same_alarm_twice), "lists one alarm more than once", ENDPOINT,
        "the same alarm twice",
    ),
    "the same imported alarm twice": (
        with_policy(same_imported_alarm_twice), "appears more than once", ENDPOINT, "'errors'",
    ),
    "termination wait on rolling": (
        with_policy(
            dataclasses.replace(DeploymentPolicy.rolling(), termination_wait=Duration.minutes(1))
        ),
        "conflicts with a rolling update", ENDPOINT, "1 minute",
    ),
    "rollback batch size on canary": (
        with_policy(
            dataclasses.replace(
                DeploymentPolicy.canary(), rollback_batch_size=Capacity.instances(1)
            )
        ),
        "conflicts with a blue/green policy", ENDPOINT, "1 instances",
    ),
    "canary on inf1": (
        lambda s: endpoint(
            s,
            [variant("main", model(s), instance_type="ml.inf1.xlarge", initial_instance_count=4)],
            deployment_policy=DeploymentPolicy.canary(),
        ),
        "would silently fall back to all-at-once", ENDPOINT, "ml.inf1.xlarge",
    ),
    # autoscaling
    "autoscaling a burstable type": (
        scaled(1, 2, instance_type="ml.t2.medium", count=1), "is a burstable type", ENDPOINT,
        "'ml.t2.medium'",
    ),
    "autoscaling min above max": (
        scaled(4, 3), r"is greater than max_capacity \(3\)", ENDPOINT, "min_capacity=4",
    ),
    "autoscaling min of 0 on a real-time endpoint": (
        scaled(0, 3), "out of range", ENDPOINT, "min_capacity=0",
    ),
    "autoscaling min below 2 with multi-AZ": (
        scaled(1, 3, require_multi_az=True), "use a value >= 2", ENDPOINT, "min_capacity=1",
    ),
    "autoscaling min above max while detached": (
        scaled(5, 2, autoscaling_detached=True), "is greater than max_capacity", ENDPOINT,
        "min_capacity=5",
    ),
    "one instance with multi-AZ": (
        lambda s: endpoint(s, [variant("main", model(s))], require_multi_az=True),
        "spreads a variant's instances across Availability Zones", ENDPOINT,
        "initial_instance_count=1",
    ),
    "autoscaling a serverless variant": (
        lambda s: endpoint(s, [variant("main", model(s), serverless=SERVERLESS)])
        .find_variant("main")
        .auto_scale_instance_count(min_capacity=1, max_capacity=2),
        "is for instance-backed variants", ENDPOINT, "'serverless'",
    ),
    "autoscaling a shadow variant": (
        lambda s: endpoint(s, shadow_variant=variant("shadow", model(s, "Shadow")))
        .find_variant("shadow")
        .auto_scale_instance_count(min_capacity=1, max_capacity=2),
        "cannot be autoscaled", ENDPOINT, "'shadow variant'",
    ),
    "autoscaling a variant twice": (
        then(scaled(2, 4), lambda a: cast(Endpoint, a.node.scope)
            .find_variant("main")
            .auto_scale_instance_count(min_capacity=2, max_capacity=4)),
        "is already configured for this variant", ENDPOINT, "'a second call'",
    ),
    "scale on invocations with both targets": (
        then(scaled(2, 4), lambda a: a.scale_on_invocations(
            "Invocations", invocations_per_instance=100, max_requests_per_second=5
        )),
        "and max_requests_per_second are both set", ENDPOINT, "invocations_per_instance=100",
    ),
    "scale on invocations with no target": (
        then(scaled(2, 4), lambda a: a.scale_on_invocations("Invocations")),
        "is missing", ENDPOINT, "invocations_per_instance=None",
    ),
    "scale on invocations with safety factor above 1": (
        then(scaled(2, 4), lambda a: a.scale_on_invocations(
            "Invocations", max_requests_per_second=5, safety_factor=1.5
        )),
        "out of range", ENDPOINT, "safety_factor=1.5",
    ),
    "step scaling with one interval": (
        then(scaled(2, 4), lambda a: a.scale_on_metric(
            "Cpu",
            metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="CPUUtilization"),
            scaling_steps=[appscaling.ScalingInterval(lower=70, change=1)],
        )),
        "needs at least 2 intervals", ENDPOINT, "scaling_steps=1",
    ),
    "schedule that changes nothing": (
        then(scaled(2, 4), lambda a: a.scale_on_schedule(
            "Nightly", schedule=appscaling.Schedule.cron(hour="22", minute="0")
        )),
        "changes neither min_capacity nor max_capacity", ENDPOINT, "Nightly=None",
    ),
    "schedule with min above max": (
        then(scaled(2, 4), lambda a: a.scale_on_schedule(
            "Peak", schedule=appscaling.Schedule.cron(hour="8"), min_capacity=6, max_capacity=5
        )),
        r"is greater than max_capacity \(5\)", ENDPOINT, "min_capacity=6",
    ),
    # data capture and async
    "sampling of 101 percent": (
        lambda s: endpoint(s, data_capture=capture(s, sampling_percentage=101)),
        "out of range", ENDPOINT, "sampling_percentage=101",
    ),
    "data capture capturing nothing": (
        lambda s: endpoint(
            s, data_capture=capture(s, capture_input=False, capture_output=False)
        ),
        "captures nothing", ENDPOINT, "capture_input=False, capture_output=False",
    ),
    "async concurrency of 0": (
        lambda s: endpoint(
            s, async_inference=async_config(s, max_concurrent_invocations_per_instance=0)
        ),
        "out of range", ENDPOINT, "max_concurrent_invocations_per_instance=0",
    ),
    # endpoint name and keys
    "endpoint name with underscore": (
        lambda s: endpoint(s, endpoint_name="my_endpoint"),
        "is not a valid SageMaker name", ENDPOINT, "'my_endpoint'",
    ),
    "endpoint name with a leading hyphen": (
        lambda s: endpoint(s, endpoint_name="-x"),
        "is not a valid SageMaker name", ENDPOINT, "'-x'",
    ),
    "endpoint name of 64 characters": (
        lambda s: endpoint(s, endpoint_name="e" * 64),
        "is not a valid SageMaker name", ENDPOINT, "e" * 64,
    ),
    "volume key on a local-NVMe instance type": (
        lambda s: endpoint(
            s,
            [variant("main", model(s), instance_type="ml.g5.xlarge")],
            encryption_key=kms.Key(s, "Key", enable_key_rotation=True),
        ),
        "local NVMe storage", ENDPOINT, "'ml.g5.xlarge'",
    ),
    # model
    "model with image and package": (
        lambda s: Model(
            s,
            "Model",
            image=ContainerImage.from_image_uri(IMAGE_URI),
            model_package=ModelPackage(PACKAGE_ARN, images=[SKLEARN]),
        ),
        "was given together with image or model_data", MODEL, PACKAGE_ARN,
    ),
    "model with data and package": (
        lambda s: Model(
            s,
            "Model",
            model_data=ModelData.from_bucket(artifact_bucket(s), "m.tar.gz"),
            model_package=ModelPackage(PACKAGE_ARN, images=[SKLEARN]),
        ),
        "was given together with image or model_data", MODEL, PACKAGE_ARN,
    ),
    "model with neither image nor package": (
        lambda s: Model(s, "Model"), "is missing", MODEL, "image=None",
    ),
    "environment value not a string": (
        lambda s: new_model(s, "Model", environment={"WORKERS": 4}),
        "is not a string", MODEL, "environment['WORKERS']=4",
    ),
    "environment with 101 entries": (
        lambda s: new_model(s, "Model", environment={f"K{i}": "v" for i in range(101)}),
        "has more than 100 entries", MODEL, "101 entries",
    ),
    "environment value over 1024 characters": (
        lambda s: new_model(s, "Model", environment={"BIG": "x" * 1025}),
        "is longer than 1024 characters", MODEL, "environment['BIG']",
    ),
    "image that is not a reference": (
        lambda s: Model(s, "Model", image=ContainerImage.from_image_uri("churn latest")),
        "is not a container image reference", MODEL, "'churn latest'",
    ),
    "model data key with a leading slash": (
        lambda s: new_model(s, "Model", data_key="/models/churn/model.tar.gz"),
        "is not an S3 object key", MODEL, "'/models/churn/model.tar.gz'",
    ),
    "model package that is not a package ARN": (
        lambda s: Model(
            s,
            "Model",
            model_package=ModelPackage(
                "arn:aws:sagemaker:eu-west-1:123456789012:model/churn", images=[SKLEARN]
            ),
        ),
        "is not a model package version ARN", MODEL, "model/churn",
    ),
    "model package without images": (
        lambda s: Model(s, "Model", model_package=ModelPackage(PACKAGE_ARN, images=[])),
        "names no ContainerImage", MODEL, "model_package.images=[]",
    ),
    "image URI outside Amazon ECR": (
        lambda s: Model(
            s, "Model", image=ContainerImage.from_image_uri("registry.example.com/churn:v1")
        ),
        "is not an Amazon ECR image URI", MODEL, "'registry.example.com/churn:v1'",
    ),
    "image URI token without a repository": (
        lambda s: Model(
            s,
            "Model",
            image=ContainerImage.from_image_uri(cdk.CfnParameter(s, "Uri").value_as_string),
        ),
        "repository=ecr.Repository", MODEL, "image=",
    ),
    "subnets without a VPC": (
        lambda s: new_model(
            s,
            "Model",
            security_groups=[
                cdk.aws_ec2.SecurityGroup.from_security_group_id(s, "Sg", "sg-0123")
            ],
        ),
        "is missing while vpc_subnets or security_groups are set", MODEL, "vpc=None",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("build", "match", "path", "value"), CASES.values(), ids=CASES.keys())
def test_invalid_props_are_refused_with_a_readable_message(
    build: Callable[[cdk.Stack], Any], match: str, path: str, value: Any
) -> None:
    stack = new_stack()
    with pytest.raises(InvalidPropsError, match=match) as info:
        build(stack)
    assert_names(info.value, path, value)


def test_error_carries_its_parts() -> None:
    stack = new_stack()
    with pytest.raises(InvalidPropsError) as info:
        endpoint(stack, endpoint_name="my_endpoint")
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.path, error.prop, error.value) == (ENDPOINT, "endpoint_name", "my_endpoint")
    assert error.problem == "is not a valid SageMaker name"
    assert "letters, digits and inner hyphens" in error.fix


def test_valid_edge_values_are_accepted() -> None:
    """The bounds themselves are valid: 0 and 3600 s waits, 600 s timeout, 50% canary."""
    stack = new_stack()
    shared = model(stack)
    endpoint(
        stack,
        [
            variant(
                "main",
                shared,
                initial_instance_count=2,
                volume_size_gb=512,
                model_data_download_timeout=Duration.seconds(60),
                container_startup_health_check_timeout=Duration.seconds(3600),
            ),
            variant("zero", shared, initial_weight=0, initial_instance_count=2, volume_size_gb=1),
        ],
        deployment_policy=DeploymentPolicy.canary(
            size=Capacity.instances(1),
            wait=Duration.seconds(0),
            termination_wait=Duration.seconds(3600),
            max_execution_time=Duration.seconds(28800),
        ),
        data_capture=capture(stack, sampling_percentage=100),
        endpoint_name="a" * 63,
        require_multi_az=True,
    ).find_variant("main").auto_scale_instance_count(min_capacity=2, max_capacity=2)
    serverless_stack = new_stack()
    endpoint(
        serverless_stack,
        [
            variant(
                "main",
                model(serverless_stack),
                serverless=ServerlessConfig(
                    memory_size_mb=6144, max_concurrency=200, provisioned_concurrency=200
                ),
            )
        ],
    )
