"""Tests for AuditTrail: the trail, its buckets, key and log group, and the change alarm.

The CloudTrail records in ``events/cloudtrail-*.json`` follow the ``CreateEndpoint`` log
entry of the SageMaker developer guide, "Log Amazon SageMaker API Calls with AWS
CloudTrail" (https://docs.aws.amazon.com/sagemaker/latest/dg/logging-using-cloudtrail.html),
with the ``AssumedRole`` identity (``sessionContext.sessionIssuer``) of the CloudTrail user
guide, "CloudTrail userIdentity element".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, RemovalPolicy, Stack, region_info
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Match, Template

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import (
    AlarmActions,
    AuditTrail,
    NotificationTopic,
    endpoint_changes_filter_pattern,
)
from constructs_lib.observability.audit import (
    _PSEUDO_PARAMETER_MAX_LENGTH,
    MAX_FILTER_PATTERN_LENGTH,
    max_deployment_roles,
)
from constructs_lib.serving.facts import AUTOSCALING_SERVICE_LINKED_ROLE

EVENTS = Path(__file__).parent / "events"
#: Application Auto Scaling's service-linked role, as the resource part of its ARN.
_AUTOSCALING_ROLE = f"role/{AUTOSCALING_SERVICE_LINKED_ROLE}"
QUIET = AlarmActions.none(reason="Reviewed weekly from the dashboard.")
#: How the pseudo parameters resolve when a pattern is evaluated against sample records.
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """An environment-agnostic stack with a trail that notifies a topic."""
    app = App()
    stack = Stack(app, "Observability")
    topic = NotificationTopic(stack, "Alerts")
    artifacts = s3.Bucket.from_bucket_name(stack, "Artifacts", "churn-model-artifacts")
    trail = AuditTrail(stack, "Audit", actions=topic.actions, data_event_buckets=[artifacts])
    return {
        "app": app,
        "stack": stack,
        "template": Template.from_stack(stack),
        "trail": trail,
        "topic": topic,
    }


# -- the trail ---------------------------------------------------------------------------------


def test_trail_logs_validates_encrypts_and_delivers_to_cloudwatch(
    built: dict[str, Any], cfn: Any
) -> None:
    trail: AuditTrail = built["trail"]
    built["template"].resource_count_is("AWS::CloudTrail::Trail", 1)
    built["template"].has_resource(
        "AWS::CloudTrail::Trail",
        {
            "Properties": {
                "IsLogging": True,
                "EnableLogFileValidation": True,
                "IsMultiRegionTrail": False,
                "IncludeGlobalServiceEvents": True,
                "KMSKeyId": {"Fn::GetAtt": [cfn.logical_id(trail.encryption_key), "Arn"]},
                "CloudWatchLogsLogGroupArn": {
                    "Fn::GetAtt": [cfn.logical_id(trail.log_group), "Arn"]
                },
                "CloudWatchLogsRoleArn": {
                    "Fn::GetAtt": [cfn.logical_id(trail.node.find_child("LogsRole")), "Arn"]
                },
                "S3BucketName": {"Ref": cfn.logical_id(trail.bucket)},
                "TrailName": trail.trail_name,
            },
            # CreateTrail checks the bucket policy and the role's policy: both exist first.
            "DependsOn": Match.array_with([cfn.logical_id(trail.node.find_child("LogsPolicy"))]),
        },
    )


def test_trail_records_management_and_artifact_data_events(built: dict[str, Any]) -> None:
    artifacts = Capture()
    built["template"].has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "EventSelectors": [
                {"IncludeManagementEvents": True, "ReadWriteType": "All"},
                {
                    "IncludeManagementEvents": False,
                    "ReadWriteType": "All",
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": [artifacts]}],
                },
            ]
        },
    )
    assert _render(artifacts.as_object()) == "arn:aws:s3:::churn-model-artifacts/"


def test_cloudtrail_role_has_a_managed_policy_scoped_to_the_log_group(
    built: dict[str, Any], cfn: Any
) -> None:
    trail: AuditTrail = built["trail"]
    role_id = cfn.logical_id(trail.node.find_child("LogsRole"))
    built["template"].has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [cfn.logical_id(trail.log_group), "Arn"]},
                    }
                ]
            },
        },
    )
    inline = built["template"].find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": Match.array_with([{"Ref": role_id}])}}
    )
    assert inline == {}


def test_trail_log_group_is_encrypted_retained_and_kept_a_year(
    built: dict[str, Any], cfn: Any
) -> None:
    trail: AuditTrail = built["trail"]
    built["template"].has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": trail.log_group_name,
                "RetentionInDays": 365,
                "KmsKeyId": {"Fn::GetAtt": [cfn.logical_id(trail.encryption_key), "Arn"]},
            },
            "DeletionPolicy": "Retain",
        },
    )
    assert trail.log_group_name.startswith("/mlops/audit/")


def _key_statement(template: Template, sid: str, statement: dict[str, Any]) -> None:
    """Assert that a rotating key's policy has statement ``sid`` like ``statement``."""
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with([Match.object_like({"Sid": sid, **statement})])
            },
        },
    )


def test_key_rotates_and_names_this_trail_and_log_group(built: dict[str, Any]) -> None:
    trail: AuditTrail = built["trail"]
    source_arn, context, describe_source, logs_context = Capture(), Capture(), Capture(), Capture()
    _key_statement(
        built["template"],
        "AllowCloudTrailToEncryptLogs",
        {
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": source_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": context},
            },
        },
    )
    trail_arn = f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{trail.trail_name}"
    assert _render(source_arn.as_object()) == trail_arn
    assert _render(context.as_object()) == "arn:aws:cloudtrail:*:123456789012:trail/*"
    _key_statement(
        built["template"],
        "AllowCloudTrailToDescribeKey",
        {
            "Action": "kms:DescribeKey",
            "Condition": {"StringEquals": {"aws:SourceArn": describe_source}},
        },
    )
    assert _render(describe_source.as_object()) == trail_arn
    _key_statement(
        built["template"],
        "AllowCloudWatchLogsForOneLogGroup",
        {"Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": logs_context}}},
    )
    assert _render(logs_context.as_object()).endswith(f":log-group:{trail.log_group_name}")


# -- the buckets ----------------------------------------------------------------------------------


#: The statement of a TLS-only bucket policy.
TLS_ONLY = Match.object_like(
    {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
)


def _bucket_policy_has(built: dict[str, Any], bucket_id: str, *statements: Any) -> None:
    built["template"].has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {"Statement": Match.array_with(list(statements))},
        },
    )


BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def test_trail_bucket_is_kms_encrypted_versioned_private_tls_only_and_logged(
    built: dict[str, Any], cfn: Any
) -> None:
    trail: AuditTrail = built["trail"]
    bucket_id = cfn.logical_id(trail.bucket)
    key_arn = {"Fn::GetAtt": [cfn.logical_id(trail.encryption_key), "Arn"]}
    buckets = built["template"].find_resources(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        Match.object_like(
                            {
                                "ServerSideEncryptionByDefault": Match.exact(
                                    {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
                                )
                            }
                        )
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": Match.exact(BLOCK_ALL),
                "LoggingConfiguration": Match.exact(
                    {
                        "DestinationBucketName": {"Ref": cfn.logical_id(trail.access_logs_bucket)},
                        "LogFilePrefix": "trail-bucket/",
                    }
                ),
            },
            "DeletionPolicy": "Retain",
        },
    )
    assert list(buckets) == [bucket_id]
    _bucket_policy_has(built, bucket_id, TLS_ONLY)


def test_access_logs_bucket_is_s3_encrypted_versioned_private_and_tls_only(
    built: dict[str, Any], cfn: Any
) -> None:
    trail: AuditTrail = built["trail"]
    bucket_id = cfn.logical_id(trail.access_logs_bucket)
    buckets = built["template"].find_resources(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": Match.exact(
                    {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    }
                ),
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": Match.exact(BLOCK_ALL),
                "OwnershipControls": Match.exact(
                    {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
                ),
            },
            "DeletionPolicy": "Retain",
        },
    )
    assert list(buckets) == [bucket_id]
    delivery = Match.object_like(
        {
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Condition": Match.object_like(
                {
                    "ArnLike": Match.exact(
                        {"aws:SourceArn": {"Fn::GetAtt": [cfn.logical_id(trail.bucket), "Arn"]}}
                    )
                }
            ),
        }
    )
    _bucket_policy_has(built, bucket_id, TLS_ONLY, delivery)


# -- the endpoint-change filter and alarm ------------------------------------------------------


def _render(value: Any) -> str:
    """Resolve a template string (Fn::Join of literals and pseudo-parameter Refs)."""
    return _render_with(value, PSEUDO)


def _render_with(value: Any, pseudo: dict[str, str]) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return pseudo[value["Ref"]]
    separator, parts = value["Fn::Join"]
    return separator.join(_render_with(p, pseudo) for p in parts)


def _filter_pattern(template: Template) -> Any:
    """The FilterPattern of the only metric filter in ``template``, as rendered."""
    template.resource_count_is("AWS::Logs::MetricFilter", 1)
    pattern = Capture()
    template.has_resource_properties("AWS::Logs::MetricFilter", {"FilterPattern": pattern})
    try:
        return pattern.as_string()
    except RuntimeError:  # not a literal: an Fn::Join holding pseudo parameters
        return pattern.as_object()


@pytest.fixture(scope="module")
def audit_pattern(built: dict[str, Any]) -> str:
    return _render(_filter_pattern(built["template"]))


def test_filter_pattern_text(audit_pattern: str) -> None:
    issuer = "$.userIdentity.sessionContext.sessionIssuer.arn"
    names = " || ".join(
        f'($.eventName = "{n}")'
        for n in (
            "CreateEndpoint",
            "UpdateEndpoint",
            "DeleteEndpoint",
            "UpdateEndpointWeightsAndCapacities",
            "CreateEndpointConfig",
            "DeleteEndpointConfig",
        )
    )
    cfn_exec = "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"
    autoscaling = (
        "arn:aws:iam::123456789012:role/aws-service-role/"
        "sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    assert audit_pattern == (
        '{ ($.eventSource = "sagemaker.amazonaws.com") && '
        f"({names}) && "
        f"(({issuer} NOT EXISTS) || "
        f'(({issuer} != "{cfn_exec}") && ({issuer} != "{autoscaling}"))) }}'
    )


@pytest.mark.parametrize(
    ("record", "matches"),
    [
        ("cloudtrail-create-endpoint-iam-user.json", True),
        ("cloudtrail-delete-endpoint-admin-role.json", True),
        ("cloudtrail-update-endpoint-cfn-exec-role.json", False),
        ("cloudtrail-update-weights-autoscaling-role.json", False),
        ("cloudtrail-describe-endpoint-admin-role.json", False),
        ("cloudtrail-create-model-iam-user.json", False),
    ],
)
def test_filter_pattern_on_cloudtrail_records(
    audit_pattern: str, record: str, matches: bool
) -> None:
    event = json.loads((EVENTS / record).read_text())
    assert json_filter_matches(audit_pattern, event) is matches


def test_endpoint_change_alarm(built: dict[str, Any], cfn: Any) -> None:
    trail: AuditTrail = built["trail"]
    topic = {"Ref": cfn.logical_id(built["topic"].topic)}
    built["template"].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            **cfn.metric_filter_alarm_defaults,
            "Namespace": "MLOps/Audit",
            "MetricName": f"UnexpectedEndpointChanges-{trail.trail_name}",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    )
    built["template"].has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "LogGroupName": {"Ref": cfn.logical_id(trail.log_group)},
            "MetricTransformations": [
                Match.object_like({"MetricNamespace": "MLOps/Audit", "MetricValue": "1"})
            ],
        },
    )


def test_custom_roles_multi_region_and_no_data_events() -> None:
    stack = Stack(App(), "Custom")
    trail = AuditTrail(
        stack,
        "Audit",
        actions=QUIET,
        deployment_role_arns=["arn:aws:iam::123456789012:role/deployer-*"],
        allow_autoscaling_role=False,
        multi_region=True,
        management_events=cloudtrail.ReadWriteType.WRITE_ONLY,
        log_retention=logs.RetentionDays.TWO_YEARS,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "IsMultiRegionTrail": True,
            "EventSelectors": [{"IncludeManagementEvents": True, "ReadWriteType": "WriteOnly"}],
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 731})
    assert trail.deployment_role_arns == ("arn:aws:iam::123456789012:role/deployer-*",)
    pattern = _render(_filter_pattern(template))
    assert '!= "arn:aws:iam::123456789012:role/deployer-*")' in pattern
    assert "cfn-exec-role" not in pattern and "autoscaling" not in pattern
    template.resource_count_is("AWS::CloudWatch::Alarm", 1)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"AlarmActions": Match.absent(), "OKActions": Match.absent()}
    )
    # The wildcard lets every deployer-* role through, and nobody else.
    record = json.loads((EVENTS / "cloudtrail-delete-endpoint-admin-role.json").read_text())
    assert json_filter_matches(pattern, record)
    issuer = record["userIdentity"]["sessionContext"]["sessionIssuer"]
    issuer["arn"] = "arn:aws:iam::123456789012:role/deployer-prod"
    assert not json_filter_matches(pattern, record)


def test_empty_role_list_alarms_on_every_change() -> None:
    stack = Stack(App(), "Everyone")
    AuditTrail(stack, "Audit", actions=QUIET, deployment_role_arns=[], allow_autoscaling_role=False)
    pattern = _render(_filter_pattern(Template.from_stack(stack)))
    assert "sessionIssuer" not in pattern
    record = json.loads((EVENTS / "cloudtrail-update-endpoint-cfn-exec-role.json").read_text())
    assert json_filter_matches(pattern, record)


@pytest.mark.parametrize(
    ("context", "qualifier"),
    [({}, "hnb659fds"), ({"@aws-cdk/core:bootstrapQualifier": "mlops1234"}, "mlops1234")],
    ids=["default-qualifier", "app-qualifier"],
)
def test_default_deployment_role_is_the_bootstrap_role_of_the_app_qualifier(
    context: dict[str, str], qualifier: str
) -> None:
    stack = Stack(App(context=context), "Deploys")
    trail = AuditTrail(stack, "Audit", actions=QUIET, allow_autoscaling_role=False)
    role = f"arn:aws:iam::{ACCOUNT}:role/cdk-{qualifier}-cfn-exec-role-{ACCOUNT}-us-east-1"
    (arn,) = trail.deployment_role_arns
    assert _render(stack.resolve(arn)) == role
    assert f'!= "{role}")' in _render(_filter_pattern(Template.from_stack(stack)))


# -- removal policy ----------------------------------------------------------------------------

#: The stateful resources an AuditTrail creates, and how many of each.
STATEFUL = {"AWS::KMS::Key": 1, "AWS::S3::Bucket": 2, "AWS::Logs::LogGroup": 1}


def test_stateful_resources_are_retained_by_default() -> None:
    stack = Stack(App(), "Retained")
    AuditTrail(stack, "Audit", actions=QUIET)
    template = Template.from_stack(stack)
    for cfn_type, count in STATEFUL.items():
        template.resource_count_is(cfn_type, count)
        template.all_resources(
            cfn_type, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
        )


def test_removal_policy_destroy_applies_to_what_the_trail_creates_only(cfn: Any) -> None:
    stack = Stack(App(), "Disposable")
    AuditTrail(stack, "Audit", actions=QUIET, removal_policy=RemovalPolicy.DESTROY)
    given = kms.Key(stack, "GivenKey", enable_key_rotation=True)
    AuditTrail(
        stack, "WithKey", actions=QUIET, encryption_key=given, removal_policy=RemovalPolicy.DESTROY
    )
    template = Template.from_stack(stack)
    # Both trails' buckets and log groups, and the key the first one created.
    destroyed = {"AWS::KMS::Key": 1, "AWS::S3::Bucket": 4, "AWS::Logs::LogGroup": 2}
    for cfn_type, count in destroyed.items():
        found = template.find_resources(
            cfn_type, {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
        )
        assert len(found) == count, cfn_type
    # The given key keeps its own removal policy (RETAIN, CDK's default for keys).
    retained = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    assert list(retained) == [cfn.logical_id(given)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"deployment_role_arns": ["arn:aws:sts::123456789012:assumed-role/Admin/jane"]},
            r"Bad/Audit: deployment_role_arns\[0\]='arn:aws:sts::.*' is not an IAM role ARN",
        ),
        ({"management_events": cloudtrail.ReadWriteType.NONE}, r"management_events='NONE'"),
        ({"management_events": cloudtrail.ReadWriteType.READ_ONLY}, r"events='READ_ONLY' would"),
        ({"actions": []}, r"Bad/Audit: actions=\[\] is not AlarmActions"),
        ({"trail_name": "-bad"}, r"trail_name='-bad' is not a valid CloudTrail trail name"),
        ({"log_retention": 365}, r"log_retention=365 .*RetentionDays\.ONE_YEAR"),
    ],
)
def test_bad_props_are_refused(kwargs: dict[str, Any], message: str) -> None:
    stack = Stack(App(), "Bad")
    props: dict[str, Any] = {"actions": QUIET, **kwargs}
    with pytest.raises(InvalidPropsError, match=message):
        AuditTrail(stack, "Audit", **props)


# -- the filter pattern's length limit (PutMetricFilter: FilterPattern <= 1,024 characters) ------

#: The longest values the pseudo parameters take in any partition and region.
WORST = {
    "AWS::Partition": "aws-us-gov",
    "AWS::AccountId": "0" * 12,
    "AWS::Region": "us-isof-south-1",
}
ACCOUNT = "123456789012"


def _pattern_length(arns: list[str]) -> int:
    return len(endpoint_changes_filter_pattern(arns).log_pattern_string)


def _bootstrap_role(stack: Stack) -> str:
    return (
        f"arn:{stack.partition}:iam::{stack.account}:role/"
        f"cdk-hnb659fds-cfn-exec-role-{stack.account}-{stack.region}"
    )


def _padded_role(name: str, arns: list[str], length: int) -> str:
    """A role ARN that, added to ``arns``, makes the resolved pattern ``length`` long."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    return arn + "x" * (length - _pattern_length([*arns, arn]))


def test_reference_default_roles_fit_the_limit_in_every_partition_and_region(
    built: dict[str, Any],
) -> None:
    pattern = _filter_pattern(built["template"])
    worst = _render_with(pattern, WORST)
    assert len(_render(pattern)) < len(worst) <= MAX_FILTER_PATTERN_LENGTH
    assert len(worst) == 737


def test_worst_case_lengths_cover_every_region_and_partition_cdk_knows() -> None:
    regions = region_info.RegionInfo.regions
    assert max(len(r.name) for r in regions) <= _PSEUDO_PARAMETER_MAX_LENGTH["AWS::Region"]
    longest_partition = max(len(r.partition) for r in regions if r.partition)
    assert longest_partition <= _PSEUDO_PARAMETER_MAX_LENGTH["AWS::Partition"]
    assert len(WORST["AWS::Region"]) == _PSEUDO_PARAMETER_MAX_LENGTH["AWS::Region"]
    assert len(WORST["AWS::Partition"]) == _PSEUDO_PARAMETER_MAX_LENGTH["AWS::Partition"]


def test_too_many_roles_are_refused_with_count_length_fit_and_fix() -> None:
    arns = [f"arn:aws:iam::{ACCOUNT}:role/ml-deployer-team-{i:02d}" for i in range(12)]
    length = _pattern_length(arns)
    assert length > MAX_FILTER_PATTERN_LENGTH
    assert {len(a) for a in arns} == {len(arns[0])}
    fit = max_deployment_roles(len(arns[0]))
    assert fit == 6
    stack = Stack(App(), "Bad")
    message = (
        rf"^Bad/Audit: deployment_role_arns='12 role ARNs' make the endpoint-change filter "
        rf"pattern {length} characters long, over CloudWatch Logs' limit of 1024 characters "
        rf"for a metric filter pattern; at most {fit} role ARNs of {len(arns[0])} characters "
        r"\(their average length here\) fit\. Fix: allow fewer roles: cover the roles that "
        r"share a "
        r"name prefix with one wildcard ARN \(e\.g\. arn:aws:iam::123456789012:role/"
        r"deployer-\*\), or deploy through one role per deployment path$"
    )
    with pytest.raises(InvalidPropsError, match=message):
        AuditTrail(
            stack, "Audit", actions=QUIET, deployment_role_arns=arns, allow_autoscaling_role=False
        )
    # The fix: one wildcard for the team's roles.
    AuditTrail(
        stack,
        "Fixed",
        actions=QUIET,
        deployment_role_arns=[f"arn:aws:iam::{ACCOUNT}:role/ml-deployer-team-*"],
        allow_autoscaling_role=False,
    )


def test_pattern_of_exactly_the_limit_is_accepted_and_one_character_more_refused() -> None:
    """Boundary, with the default autoscaling role in a stack of a known environment.

    The autoscaling role's partition stays a token there; its length is that of the
    region's partition, so the estimate is exact and equals the deployed pattern.
    """
    autoscaling = f"arn:aws:iam::{ACCOUNT}:{_AUTOSCALING_ROLE}"
    others = [f"arn:aws:iam::{ACCOUNT}:role/deployer-{i}" for i in range(3)]
    at_limit = _padded_role("release-", [*others, autoscaling], MAX_FILTER_PATTERN_LENGTH)
    app = App()
    env = Environment(account=ACCOUNT, region="us-east-1")
    ok = Stack(app, "AtLimit", env=env)
    trail = AuditTrail(ok, "Audit", actions=QUIET, deployment_role_arns=[*others, at_limit])
    assert (
        trail.deployment_role_arns[-1] == f"arn:{ok.partition}:iam::{ACCOUNT}:{_AUTOSCALING_ROLE}"
    )
    assert len(_render(_filter_pattern(Template.from_stack(ok)))) == MAX_FILTER_PATTERN_LENGTH

    too_long = Stack(app, "OverLimit", env=env)
    over = [*others, at_limit + "x", autoscaling]
    average = -(-sum(len(a) for a in over) // len(over))
    fit = max_deployment_roles(average)
    assert fit == 4
    with pytest.raises(
        InvalidPropsError,
        match=r"^OverLimit/Audit: deployment_role_arns='5 role ARNs including the Application "
        r"Auto Scaling role' make the endpoint-change filter pattern 1025 characters long, over "
        r"CloudWatch Logs' limit of 1024 characters for a metric filter pattern; at most "
        rf"{fit} role ARNs of {average} characters \(their average length here\) fit\. Fix: "
        r".* per deployment path$",
    ):
        AuditTrail(too_long, "Audit", actions=QUIET, deployment_role_arns=[*others, at_limit + "x"])


def test_unresolved_account_region_and_partition_count_at_their_longest() -> None:
    """Roles that fit in us-east-1 but not in every region are refused without an env."""
    stack = Stack(App(), "Agnostic")
    resolved_bootstrap = (
        f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-us-east-1"
    )
    autoscaling = f"arn:aws:iam::{ACCOUNT}:{_AUTOSCALING_ROLE}"
    # 1,014 characters in us-east-1, 20 more in the worst case (+13 bootstrap, +7 autoscaling).
    extra = _padded_role("release", [resolved_bootstrap, autoscaling], 1014)
    with pytest.raises(
        InvalidPropsError,
        match=r"deployment_role_arns='3 role ARNs including the Application Auto Scaling role' "
        r"make the endpoint-change filter pattern 1034 characters long in the worst case "
        r"\(counting an unresolved account id as 12, region as 15 and partition as 10 "
        r"characters\).*Fix: .*; giving the stack an explicit account and region shortens the "
        r"estimate$",
    ):
        AuditTrail(
            stack, "Audit", actions=QUIET, deployment_role_arns=[_bootstrap_role(stack), extra]
        )
    # With an explicit environment the same roles are known to fit.
    env_stack = Stack(App(), "InUsEast1", env=Environment(account=ACCOUNT, region="us-east-1"))
    AuditTrail(
        env_stack, "Audit", actions=QUIET, deployment_role_arns=[_bootstrap_role(env_stack), extra]
    )


def test_other_unresolved_arns_count_only_their_literal_text() -> None:
    stack = Stack(App(), "AppRoles")
    role = iam.Role(stack, "Deployer", assumed_by=iam.AccountRootPrincipal())
    # An app role's ARN is unknown at synth: one such role is not refused ...
    AuditTrail(stack, "One", actions=QUIET, deployment_role_arns=[role.role_arn])
    # ... but when the rest already exceeds the limit, the pattern is too long anyway.
    many = [f"arn:aws:iam::{ACCOUNT}:role/ml-deployer-team-{i:02d}" for i in range(12)]
    with pytest.raises(
        InvalidPropsError,
        match=r"deployment_role_arns='14 role ARNs including the Application Auto Scaling role' "
        r"make the endpoint-change filter pattern \d+ characters long at least \(counting only "
        r"the literal text of unresolved ARNs\)",
    ):
        AuditTrail(stack, "Many", actions=QUIET, deployment_role_arns=[role.role_arn, *many])


@pytest.mark.parametrize("arn_length", [20, 47, 60, 100, 153, 300, 600, 1000])
def test_max_deployment_roles_is_the_most_that_fit(arn_length: int) -> None:
    fit = max_deployment_roles(arn_length)
    assert _pattern_length(["a" * arn_length] * fit) <= MAX_FILTER_PATTERN_LENGTH
    assert _pattern_length(["a" * arn_length] * (fit + 1)) > MAX_FILTER_PATTERN_LENGTH


def test_max_deployment_roles_refuses_a_length_below_one() -> None:
    with pytest.raises(ValueError, match="role_arn_length=0 must be at least 1"):
        max_deployment_roles(0)


# -- compliance --------------------------------------------------------------------------------


def test_trail_has_no_unacknowledged_findings(built: dict[str, Any]) -> None:
    findings = unacknowledged_findings(built["app"])
    assert [str(f) for f in findings] == []


# -- a faithful evaluator for the CloudWatch Logs JSON filter syntax used above ----------------
#
# Grammar and semantics from the CloudWatch Logs "Filter and pattern syntax" page: a pattern
# is ``{ expression }``; conditions are ``SELECTOR = value``, ``SELECTOR != value``,
# ``SELECTOR NOT EXISTS``, ``SELECTOR IS NULL``; ``&&`` binds tighter than ``||``; parentheses
# group; string values may be quoted and may use ``*`` as a wildcard; a selector that points
# to an object or array, or to nothing, makes ``=`` and ``!=`` false.

_TOKEN = re.compile(
    r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*")|(?P<op>&&|\|\||!=|=|\(|\))|(?P<kw>NOT EXISTS|IS NULL)'
    r"|(?P<sel>\$[\w.\[\]-]*)|(?P<word>[^\s()&|=!\"]+))"
)
_MISSING = object()


def _tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    body = body.strip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        assert m and m.end() > pos, f"cannot parse {body[pos:]!r}"
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _select(event: Any, selector: str) -> Any:
    node = event
    for name, index in re.findall(r"\.([\w-]+)|\[(\d+)\]", selector[1:]):
        if name:
            if not isinstance(node, dict) or name not in node:
                return _MISSING
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return _MISSING
            node = node[int(index)]
    return node


def _equals(value: Any, expected: str) -> bool:
    if value is _MISSING or isinstance(value, dict | list) or value is None:
        return False
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    regex = ".*".join(re.escape(part) for part in expected.split("*"))
    return re.fullmatch(regex, text) is not None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], event: Any):
        self.tokens, self.event, self.i = tokens, event, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expression(self) -> bool:
        result = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            result = result or right
        return result

    def conjunction(self) -> bool:
        result = self.condition()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.condition()
            result = result and right
        return result

    def condition(self) -> bool:
        kind, text = self.take()
        if (kind, text) == ("op", "("):
            result = self.expression()
            assert self.take() == ("op", ")")
            return result
        assert kind == "sel", f"expected a selector, got {text!r}"
        value = _select(self.event, text)
        kind, op = self.take()
        if kind == "kw":
            return value is _MISSING if op == "NOT EXISTS" else value is None
        assert op in ("=", "!="), op
        kind, raw = self.take()
        expected = json.loads(raw) if kind == "q" else raw
        if value is _MISSING or isinstance(value, dict | list):
            return False
        return _equals(value, expected) is (op == "=")


def json_filter_matches(pattern: str, event: Any) -> bool:
    """Whether the CloudWatch Logs JSON filter ``pattern`` matches the JSON log ``event``."""
    body = pattern.strip()
    assert body.startswith("{") and body.endswith("}"), pattern
    parser = _Parser(_tokens(body[1:-1]), event)
    result = parser.expression()
    assert parser.peek() is None, f"trailing tokens in {pattern!r}"
    return result


# The examples of the CloudWatch Logs filter syntax page, with the results it states.
_DOC_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [
        {"id": 2, "email": "John.Doe@example.com"},
        {"id": 3, "email": "Jane.Doe@example.com"},
    ],
    "actions": ["GET", "PUT", "DELETE"],
}


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress != 111.111.* }", False),
        ('{ $.arrayKey[0] = "value" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.eventType NOT EXISTS }", False),
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.users[0].id = nonmatch '
            "&& $.actions[2] = nomatch }",
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.users[0].id = nonmatch) '
            "&& $.actions[2] = nomatch }",
            False,
        ),
        ("{ $.users = 1 }", False),
        ("{ $.users != 1 }", False),
        ('{ $.eventType = "*Trail" }', True),
    ],
)
def test_json_filter_evaluator_follows_the_documented_examples(pattern: str, matches: bool) -> None:
    assert json_filter_matches(pattern, _DOC_EVENT) is matches
