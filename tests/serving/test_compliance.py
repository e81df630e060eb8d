"""Compliance: fully featured serving stacks pass the default cdk-nag packs unaided.

The library acknowledges only what it must (API calls without resource-level permissions,
and prefixes under which SageMaker names objects at run time), each with a reason. The
negative test proves the check can fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from constructs_lib.compliance import DEFAULT_PACKS, Finding, unacknowledged_findings
from constructs_lib.core import acknowledge
from constructs_lib.serving import (
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
)

from .builders import MODEL_ARTIFACT, artifact_bucket, new_app, new_model, new_stack, variant

PACKAGE_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"


def alerts_topic(stack: cdk.Stack) -> sns.Topic:
    key = kms.Key(stack, "AlertsKey", enable_key_rotation=True)
    return sns.Topic(stack, "Alerts", master_key=key, enforce_ssl=True)


def serving_stack(app: cdk.App) -> cdk.Stack:
    """Two weighted variants, a canary guarded by an alarm that notifies, autoscaling."""
    stack = new_stack(app, "Serving")
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn")
    champion = Model(
        stack,
        "Champion",
        image=ContainerImage.from_ecr_repository(repo, "1.5.0"),
        model_data=ModelData.from_bucket(artifact_bucket(stack), "models/churn/v5/model.tar.gz"),
    )
    challenger = Model(
        stack,
        "Challenger",
        image=ContainerImage.sagemaker_scikit_learn(),
        model_data=ModelData.from_asset(str(MODEL_ARTIFACT)),
    )
    topic = alerts_topic(stack)
    errors = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=5,
        evaluation_periods=2,
    )
    errors.add_alarm_action(cw_actions.SnsAction(topic))
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[
            variant("champion", champion, initial_weight=0.9, initial_instance_count=2),
            variant("challenger", challenger, initial_weight=0.1, initial_instance_count=2),
        ],
        deployment_policy=DeploymentPolicy.canary(
            size=Capacity.percent(50), rollback_alarms=[errors]
        ),
        require_multi_az=True,
    )
    for name in endpoint.variant_names:
        scaling = endpoint.find_variant(name).auto_scale_instance_count(
            min_capacity=2, max_capacity=6
        )
        scaling.scale_on_invocations("InvocationsTracking", max_requests_per_second=10)
    endpoint.find_variant("champion").autoscaling.scale_on_metric(  # type: ignore[union-attr]
        "CpuSteps",
        metric=endpoint.find_variant("champion").metrics.cpu_utilization(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=20, change=-1),
            appscaling.ScalingInterval(lower=80, change=+1),
        ],
    )
    return stack


def data_stack(app: cdk.App) -> cdk.Stack:
    """Data capture, async output, keys, a VPC model, a registry package, no-key variants."""
    stack = new_stack(app, "Data")
    key = kms.Key(stack, "DataKey", enable_key_rotation=True)
    capture_bucket = s3.Bucket(
        stack,
        "Captures",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        versioned=True,
        server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "access-logs"),
    )
    # The bucket is scaffolding of this test, not part of the library.
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        acknowledge(
            capture_bucket,
            f"{pack}-S3BucketReplicationEnabled",
            "Test scaffolding: replication of a capture bucket is its owner's choice.",
        )
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
    )
    realtime_model = new_model(
        stack,
        "RealtimeModel",
        model_data=ModelData.from_bucket(
            artifact_bucket(stack), "models/churn/v1/model.tar.gz", encryption_key=key
        ),
        vpc=vpc,
    )
    Endpoint(
        stack,
        "Realtime",
        variants=[variant("main", realtime_model, initial_instance_count=2)],
        data_capture=DataCapture(bucket=capture_bucket, prefix="capture/churn", encryption_key=key),
    )
    package_model = Model(
        stack,
        "Package",
        model_package=ModelPackage(
            PACKAGE_ARN,
            artifact_bucket=artifact_bucket(stack),
            images=[
                ContainerImage.from_ecr_repository(
                    ecr.Repository.from_repository_name(stack, "Repo", "churn")
                )
            ],
        ),
    )
    topic = alerts_topic(stack)
    Endpoint(
        stack,
        "Async",
        variants=[variant("main", package_model)],
        async_inference=AsyncInference(
            output_bucket=artifact_bucket(stack),
            success_topic=topic,
            error_topic=topic,
            encryption_key=key,
        ),
        data_capture=DataCapture(bucket=artifact_bucket(stack)),
    )
    # No volume key where SageMaker refuses or has no use for one.
    Endpoint(
        stack,
        "Serverless",
        variants=[
            variant("main", new_model(stack, "ServerlessModel"), serverless=ServerlessConfig())
        ],
    )
    Endpoint(
        stack,
        "Gpu",
        variants=[variant("main", new_model(stack, "GpuModel"), instance_type="ml.g5.xlarge")],
    )
    return stack


@dataclass
class Built:
    app: cdk.App
    findings: list[Finding]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    serving_stack(app)
    data_stack(app)
    return Built(app, unacknowledged_findings(app))


def describe(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


@pytest.mark.parametrize("stack_name", ["Serving", "Data"])
def test_fully_featured_stacks_have_no_unacknowledged_findings(
    built: Built, stack_name: str
) -> None:
    findings = [f for f in built.findings if f.path.startswith(f"{stack_name}/")]
    assert findings == [], describe(findings)


def test_every_default_pack_ran(built: Built) -> None:
    assert DEFAULT_PACKS == ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5")
    assert built.findings == [], describe(built.findings)


def test_acknowledgments_are_narrow_and_give_reasons(built: Built) -> None:
    acknowledged: dict[str, str] = {}
    for construct in built.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                acknowledged.update(entry.data)
    assert acknowledged
    for rule_id, reason in acknowledged.items():
        assert len(reason) > 40, (rule_id, reason)
        # No blanket acknowledgment of a whole rule that has per-finding ids.
        assert not rule_id.rstrip().endswith("AwsSolutions-IAM5"), rule_id


def test_a_wildcard_inline_policy_is_reported() -> None:
    app = new_app()
    stack = new_stack(app, "Bad")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    findings = unacknowledged_findings(app)
    rules = {f.rule for f in findings}
    assert "AwsSolutions-IAM5[Action::s3:*]" in rules, describe(findings)
    assert "AwsSolutions-IAM5[Resource::*]" in rules, describe(findings)
    assert any(f.path.startswith("Bad/Role") for f in findings)


def test_an_alarm_without_an_action_is_reported() -> None:
    app = new_app()
    stack = new_stack(app, "Silent")
    cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
    )
    findings = unacknowledged_findings(app)
    assert any("CloudWatchAlarmAction" in f.rule for f in findings), describe(findings)
