"""Each monitor's role may do exactly what its job needs, and nothing else.

The requirement, as SageMaker documents it for the role passed to a processing job (a
monitoring job is one): "How to use SageMaker execution roles", section "CreateProcessingJob
API: Execution Role Permissions":

- ``s3:ListBucket`` on the input buckets, ``s3:GetObject`` on the objects it downloads,
  ``s3:PutObject`` on its output path;
- ``ecr:BatchCheckLayerAvailability``, ``ecr:GetDownloadUrlForLayer``, ``ecr:BatchGetImage``
  on the image's repository and ``ecr:GetAuthorizationToken``;
- ``cloudwatch:PutMetricData``, ``logs:CreateLogGroup``, ``logs:CreateLogStream``,
  ``logs:PutLogEvents``, ``logs:DescribeLogStreams``;
- ``kms:Decrypt`` for SSE-KMS inputs, ``kms:Encrypt`` for the output key (plus what S3 asks
  of SSE-KMS writers: ``kms:GenerateDataKey``, and ``kms:Decrypt`` for multipart uploads),
  ``kms:CreateGrant`` for the volume key.

The tests narrow it to this job: the endpoint's capture prefix, this kind's baselines,
ground truth and analysis config, its own output prefix, the processing-job log group, the
SageMaker metric namespaces; and, for a feature-attribution monitor with a shadow model,
the shadow endpoint Clarify creates (developer guide, "Configure the analysis": Clarify
creates, calls and deletes an endpoint named ``<endpoint_name_prefix>...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk.assertions import Template

from constructs_lib.monitoring import ModelMonitor
from tests.iam_checks import (
    ECR_PULL_ACTIONS,
    ECR_TOKEN_ACTION,
    Place,
    allowed_resources,
    repository_arn_of_image,
    resolve,
)

from .builders import (
    BUCKET,
    CAPTURE_PREFIX,
    Setup,
    child_id,
    grants,
    logical_id,
    monitored_stack,
    new_app,
    statements_of,
)

S3 = f"arn:<AWS::Partition>:s3:::{BUCKET}"
LOGS = (
    "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/"
    "ProcessingJobs"
)
SAGEMAKER = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
SLUGS = {
    "DataQuality": "data-quality",
    "ModelQuality": "model-quality",
    "ModelBias": "model-bias",
    "Explainability": "model-explainability",
}
IMAGES = {
    "DataQuality": (
        "SageMakerImageRegistrySagemakerModelMonitorAnalyzer",
        "sagemaker-model-monitor-analyzer",
    ),
    "ModelQuality": (
        "SageMakerImageRegistrySagemakerModelMonitorAnalyzer",
        "sagemaker-model-monitor-analyzer",
    ),
    "ModelBias": (
        "SageMakerImageRegistrySagemakerClarifyProcessing",
        "sagemaker-clarify-processing",
    ),
    "Explainability": (
        "SageMakerImageRegistrySagemakerClarifyProcessing",
        "sagemaker-clarify-processing",
    ),
}
# What each kind reads besides the endpoint's captured data: objects, and prefixes.
OBJECTS = {
    "DataQuality": ["baseline/data/constraints.json", "baseline/data/statistics.json"],
    "ModelQuality": ["baseline/quality/constraints.json"],
    "ModelBias": ["clarify/bias.json", "baseline/bias/constraints.json"],
    "Explainability": ["clarify/shap.json", "baseline/shap/constraints.json"],
}
PREFIXES = {
    "DataQuality": [],
    "ModelQuality": ["ground-truth/churn"],
    "ModelBias": ["ground-truth/churn"],
    "Explainability": [],
}


@dataclass
class Built:
    setup: Setup
    tpl: dict[str, Any]


@pytest.fixture(scope="module")
def built() -> Built:
    s = monitored_stack(new_app())
    return Built(s, dict(Template.from_stack(s.stack).to_json()))


def condition(**conditions: dict[str, Any]) -> str:
    """The condition column of :func:`grants`."""
    return repr(sorted(conditions.items()))


def expected_grants(built: Built, kind: str) -> set[tuple[str, str, str]]:
    monitor = built.setup.monitors[kind]
    endpoint = f"<{logical_id(built.setup.endpoint)}.EndpointName>"
    data_key = f"<{logical_id(built.setup.key)}.Arn>"
    capture = f"{CAPTURE_PREFIX}/{endpoint}"
    mapping, repository = IMAGES[kind]
    rows = {
        (action, resource, "")
        for action in (
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        )
        for resource in (LOGS, f"{LOGS}:*")
    }
    rows.add(
        (
            "cloudwatch:PutMetricData",
            "*",
            condition(StringLike={"cloudwatch:namespace": ["aws/sagemaker/*", "/aws/sagemaker/*"]}),
        )
    )
    rows.add(("kms:CreateGrant", f"<{child_id(monitor, 'VolumeKey')}.Arn>", ""))
    rows.add(("s3:PutObject", f"{S3}/model-monitor/{endpoint}/{SLUGS[kind]}/*", ""))
    rows |= {(a, data_key, "") for a in ("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt")}
    for prefix in [capture, *PREFIXES[kind]]:
        rows.add(("s3:GetObject", f"{S3}/{prefix}/*", ""))
        rows.add(
            ("s3:ListBucket", S3, condition(StringLike={"s3:prefix": [prefix, f"{prefix}/*"]}))
        )
    for key in OBJECTS[kind]:
        rows.add(("s3:GetObject", f"{S3}/{key}", ""))
        rows.add(("s3:ListBucket", S3, condition(StringLike={"s3:prefix": [key]})))
    account = f"<{mapping}[<AWS::Region>].account>"
    repo = f"arn:<AWS::Partition>:ecr:<AWS::Region>:{account}:repository/{repository}"
    rows |= {(a, repo, "") for a in ECR_PULL_ACTIONS}
    rows.add((ECR_TOKEN_ACTION, "*", ""))
    if kind == "Explainability":
        for action in ("CreateEndpointConfig", "DescribeEndpointConfig", "DeleteEndpointConfig"):
            rows.add((f"sagemaker:{action}", f"{SAGEMAKER}:endpoint-config/sm-clarify*", ""))
        for action in ("CreateEndpoint", "DescribeEndpoint", "DeleteEndpoint", "InvokeEndpoint"):
            rows.add((f"sagemaker:{action}", f"{SAGEMAKER}:endpoint/sm-clarify*", ""))
        # The shadow model's name is generated (mixed case) and ARNs lower-case it.
        rows.add(("sagemaker:DescribeModel", f"{SAGEMAKER}:model/*", ""))
    return rows


@pytest.mark.parametrize("kind", sorted(SLUGS))
def test_each_role_may_do_exactly_what_its_job_needs(built: Built, kind: str) -> None:
    monitor = built.setup.monitors[kind]
    actual = grants(statements_of(built.tpl, monitor))
    expected = expected_grants(built, kind)
    assert actual - expected == set(), "more than the job needs"
    assert expected - actual == set(), "less than the job needs"


@pytest.mark.parametrize("kind", sorted(SLUGS))
def test_each_role_is_its_own_assumed_only_by_sagemaker(built: Built, kind: str) -> None:
    monitor: ModelMonitor = built.setup.monitors[kind]
    role = built.tpl["Resources"][logical_id(monitor.role)]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]
    # No AWS managed policy, no inline policy: one customer-managed policy holds it all.
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    attached = [
        r
        for r in built.tpl["Resources"].values()
        if {"Ref": logical_id(monitor.role)} in r.get("Properties", {}).get("Roles", [])
    ]
    assert [r["Type"] for r in attached] == ["AWS::IAM::ManagedPolicy"]
    others = {logical_id(m.role) for m in built.setup.monitors.values()} - {
        logical_id(monitor.role)
    }
    assert not any({"Ref": o} in attached[0]["Properties"]["Roles"] for o in others)


def test_resource_star_only_where_the_api_has_no_resource_permission(built: Built) -> None:
    for monitor in built.setup.monitors.values():
        star = {a for a, r, _ in grants(statements_of(built.tpl, monitor)) if r == "*"}
        assert star == {ECR_TOKEN_ACTION, "cloudwatch:PutMetricData"}


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])
def test_each_role_can_pull_exactly_its_image(built: Built, region: str) -> None:
    place = Place(region=region)
    for monitor in built.setup.monitors.values():
        job = built.tpl["Resources"][child_id(monitor, "JobDefinition")]["Properties"]
        (spec,) = (v for k, v in job.items() if k.endswith("AppSpecification"))
        image = resolve(built.tpl, spec["ImageUri"], place)
        repository = repository_arn_of_image(image, place)
        role = logical_id(monitor.role)
        for action in sorted(ECR_PULL_ACTIONS):
            assert allowed_resources(built.tpl, role, action, place) == {repository}, action
        assert allowed_resources(built.tpl, role, ECR_TOKEN_ACTION, place) == {"*"}
