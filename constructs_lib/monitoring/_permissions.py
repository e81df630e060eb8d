"""The execution role of one Model Monitor job definition, and what it may do.

A monitoring job is a SageMaker processing job; SageMaker documents what the role passed to
``CreateProcessingJob`` needs (developer guide, "How to use SageMaker execution roles",
section "CreateProcessingJob API: Execution Role Permissions"):

- ``s3:ListBucket`` on the input buckets, ``s3:GetObject`` on the objects downloaded and
  ``s3:PutObject`` on the output path;
- the three ECR pull actions on the image's repository and ``ecr:GetAuthorizationToken``;
- ``cloudwatch:PutMetricData`` and ``logs:CreateLogGroup|CreateLogStream|PutLogEvents|
  DescribeLogStreams`` ("applicable for '*' resources");
- ``kms:Decrypt`` for SSE-KMS inputs, ``kms:Encrypt`` for an output key, ``kms:CreateGrant``
  for a volume key.

:class:`MonitorPolicy` grants exactly that, narrowed to this job: listing only under the
prefixes it reads (``s3:prefix`` condition), reading only those prefixes and objects,
writing only under its output prefix, logs only in ``/aws/sagemaker/ProcessingJobs``,
metrics only in SageMaker namespaces. Every permission lives in one customer-managed policy
(no inline policy, no AWS managed policy); each remaining wildcard is acknowledged on that
policy with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.core import acknowledge

# One source for two library facts: how a grant lands in a managed policy, and how cdk-nag
# spells a resource in a finding id. Both are private to serving.model for now.
from constructs_lib.serving.model import _flatten_cfn, _PolicyGrantee

__all__ = ["PROCESSING_JOB_LOG_GROUP", "MonitorPolicy"]

#: SageMaker writes the logs of every processing job, monitoring jobs included, here.
PROCESSING_JOB_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"

_NO_RESOURCE_LEVEL = (
    "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level "
    "permissions; image pulls are limited to the job's image repository and metrics to the "
    "SageMaker namespaces by condition."
)


class MonitorPolicy:
    """A monitoring job's role and the managed policy holding all its permissions.

    :param scope: the monitor; the role and policy become its ``Role`` and ``Policy``.
    :param role: a role of your own to attach the policy to. Default: a new role that only
        SageMaker can assume.
    """

    def __init__(self, scope: Construct, role: iam.IRole | None) -> None:
        self._scope = scope
        #: The execution role of the job definition.
        self.role: iam.IRole = role or iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of Model Monitor job {scope.node.path}",
        )
        #: The managed policy that holds every permission of the role.
        self.policy = iam.ManagedPolicy(
            scope,
            "Policy",
            description=f"Least-privilege permissions of Model Monitor job {scope.node.path}",
            roles=[self.role],
        )
        #: A grantee whose CDK grants (``grant_pull``, ``key.grant``) land in :attr:`policy`.
        self.grantee: iam.IGrantable = _PolicyGrantee(self.policy, self.role, self._on_added)

    # -- S3 -------------------------------------------------------------------------------

    def read_object(self, bucket: s3.IBucket, key: str, encryption_key: kms.IKey | None) -> None:
        """Download one object: list it, get it, decrypt it."""
        self._list(bucket, [key])
        self._add(["s3:GetObject"], [bucket.arn_for_objects(key)])
        self.decrypt(encryption_key)

    def read_prefix(
        self, bucket: s3.IBucket, prefix: str, encryption_key: kms.IKey | None, reason: str
    ) -> None:
        """Download every object under ``prefix``, whose keys SageMaker finds at run time."""
        self._list(bucket, [prefix, f"{prefix}/*"])
        resource = bucket.arn_for_objects(f"{prefix}/*")
        self._add(["s3:GetObject"], [resource])
        self.acknowledge_resource(resource, reason)
        self.decrypt(encryption_key)

    def write_prefix(self, bucket: s3.IBucket, prefix: str, encryption_key: kms.IKey) -> None:
        """Upload reports under ``prefix``, SSE-KMS with ``encryption_key``."""
        resource = bucket.arn_for_objects(f"{prefix}/*")
        # s3:PutObject alone: bucket.grant_put adds tagging, retention and legal-hold writes.
        self._add(["s3:PutObject"], [resource])
        self.acknowledge_resource(
            resource,
            "Model Monitor names its report objects at run time (endpoint, schedule, date); "
            "the grant is write-only and limited to the monitor's output prefix.",
        )
        # The documented kms:Encrypt; S3 calls GenerateDataKey for each SSE-KMS object, and
        # Decrypt for multipart uploads (Amazon S3 user guide, "Using SSE-KMS").
        encryption_key.grant(self.grantee, "kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt")

    def decrypt(self, encryption_key: kms.IKey | None) -> None:
        """Read data encrypted with ``encryption_key`` (nothing for None)."""
        if encryption_key is not None:
            encryption_key.grant_decrypt(self.grantee)

    def _list(self, bucket: s3.IBucket, prefixes: Sequence[str]) -> None:
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": list(prefixes)}},
            )
        )

    # -- job resources --------------------------------------------------------------------

    def use_volume_key(self, key: kms.IKey) -> None:
        """Let SageMaker encrypt the instances' storage volumes with ``key``."""
        key.grant(self.grantee, "kms:CreateGrant")

    def logs_and_metrics(self) -> None:
        """Write the job's logs and publish its CloudWatch metrics."""
        group = Stack.of(self._scope).format_arn(
            service="logs",
            resource="log-group",
            resource_name=PROCESSING_JOB_LOG_GROUP,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self._add(
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            [group, f"{group}:*"],
        )
        self.acknowledge_resource(
            f"{group}:*",
            "A processing job's log streams are named after the job, which SageMaker names "
            "at each run; the grant is limited to the processing-job log group.",
        )
        # The SageMaker guide spells Model Monitor's namespaces with and without a leading
        # slash (aws/sagemaker/Endpoints/data-metrics, /aws/sagemaker/Endpoints/...).
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringLike": {"cloudwatch:namespace": ["aws/sagemaker/*", "/aws/sagemaker/*"]}
                },
            )
        )
        acknowledge(self.policy, "AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL)

    # -- helpers --------------------------------------------------------------------------

    def _add(self, actions: list[str], resources: list[str]) -> None:
        self.policy.add_statements(iam.PolicyStatement(actions=actions, resources=resources))

    def acknowledge_resource(self, resource: str, reason: str) -> None:
        """Acknowledge the AwsSolutions-IAM5 finding of one wildcard resource of the policy."""
        flat = _flatten_cfn(Stack.of(self.policy).resolve(resource))
        acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{flat}]", reason)

    def _on_added(self, statements: Sequence[iam.PolicyStatement]) -> None:
        # grant_pull adds ecr:GetAuthorizationToken on "*": no resource-level permission.
        for statement in statements:
            if "*" in statement.resources and "ecr:GetAuthorizationToken" in statement.actions:
                acknowledge(self.policy, "AwsSolutions-IAM5[Resource::*]", _NO_RESOURCE_LEVEL)
