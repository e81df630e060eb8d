"""A CloudTrail trail for the account's SageMaker activity, and an alarm on endpoint changes.

:class:`AuditTrail` records management events (and optionally S3 data events on the model
artifact buckets) to a KMS-encrypted, versioned, TLS-only S3 bucket whose server access
logs go to a second bucket, and to an encrypted CloudWatch log group. A metric filter on
that group counts SageMaker endpoint changes (create, update, delete, weight and capacity
changes, endpoint-config create and delete) made by anyone other than the deployment
roles, and an alarm fires on the first one: an endpoint changed outside the pipeline.

CloudWatch Logs refuses a metric filter pattern longer than
:data:`MAX_FILTER_PATTERN_LENGTH` characters, and the pattern grows with every deployment
role, so :class:`AuditTrail` checks its length at synth; :func:`max_deployment_roles` tells
how many roles of a given ARN length fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aws_cdk import (
    Annotations,
    ArnFormat,
    DefaultStackSynthesizer,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Token,
    region_info,
)
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.core import InvalidPropsError, acknowledge, is_token, key_or_new, require
from constructs_lib.observability._validation import check_retention
from constructs_lib.observability.actions import AlarmActions, _check_actions
from constructs_lib.observability.logs import (
    MetricFilterAlarm,
    _allow_logs_to_use_key,
    _create_metric_filter_alarm,
)
from constructs_lib.serving.facts import AUTOSCALING_SERVICE_LINKED_ROLE

__all__ = [
    "AUDIT_METRIC_NAMESPACE",
    "ENDPOINT_CHANGE_EVENTS",
    "MAX_FILTER_PATTERN_LENGTH",
    "AuditTrail",
    "endpoint_changes_filter_pattern",
    "max_deployment_roles",
]

#: The SageMaker API calls that change what an endpoint serves.
ENDPOINT_CHANGE_EVENTS: tuple[str, ...] = (
    "CreateEndpoint",
    "UpdateEndpoint",
    "DeleteEndpoint",
    "UpdateEndpointWeightsAndCapacities",
    "CreateEndpointConfig",
    "DeleteEndpointConfig",
)
#: Namespace of the endpoint-change metric.
AUDIT_METRIC_NAMESPACE = "MLOps/Audit"
#: CloudTrail's JSON path of the role behind an assumed-role session.
_SESSION_ISSUER_ARN = "$.userIdentity.sessionContext.sessionIssuer.arn"
#: The context key that sets an app's CDK bootstrap qualifier (CDK's
#: ``BOOTSTRAP_QUALIFIER_CONTEXT``, which its Python package does not export).
_BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*-]+$")
#: CloudFormation's limit on data resources across a trail's event selectors.
_MAX_DATA_RESOURCES = 250
#: CloudWatch Logs refuses a metric filter ``FilterPattern`` longer than this many characters
#: (PutMetricFilter API; CloudFormation passes the rendered pattern through, so a longer one
#: fails at deploy time).
MAX_FILTER_PATTERN_LENGTH = 1024
# Worst-case rendered lengths of the pseudo parameters a role ARN holds when the stack's
# environment is unknown at synth (CDK's default bootstrap role ARN holds all three).
# Assumed: an account id is 12 digits; a region name is at most 15 characters (the longest
# CDK's region facts list is us-isof-south-1; commercial ones are 9-14); a partition is at
# most 10 characters (aws-us-gov; the others are aws, aws-cn, aws-iso, aws-iso-b, aws-iso-e,
# aws-iso-f, aws-eusc). When the stack's region is known, its partition is looked up instead.
# Constants rather than a scan of aws_cdk.region_info (about 0.1 s of jsii calls per
# process); tests/observability/test_audit.py checks them against CDK's region facts.
_PSEUDO_PARAMETER_MAX_LENGTH = {"AWS::AccountId": 12, "AWS::Region": 15, "AWS::Partition": 10}
_PSEUDO_PARAMETER_LABELS = {
    "AWS::AccountId": "account id",
    "AWS::Region": "region",
    "AWS::Partition": "partition",
}


class AuditTrail(Construct):
    """A CloudTrail trail with an alarm on SageMaker endpoint changes outside deployments.

    What it creates: a customer-managed KMS key (rotation on) that encrypts the trail's log
    files, its bucket and its log group; the trail bucket (SSE-KMS, versioned, TLS-only,
    public access blocked) whose server access logs go to a logs bucket (SSE-S3, because
    S3 server access logging cannot deliver to SSE-KMS buckets; versioned, TLS-only); a
    CloudWatch log group the trail also delivers to; the trail (log file validation on); a
    metric filter on endpoint changes and its alarm.

    The filter matches the calls in :data:`ENDPOINT_CHANGE_EVENTS` whose
    ``userIdentity.sessionContext.sessionIssuer.arn`` is none of the deployment roles, or
    absent (IAM users, root, AWS services without a role session).

    The filter pattern names every deployment role, and CloudWatch Logs refuses one longer
    than :data:`MAX_FILTER_PATTERN_LENGTH` (1,024) characters. The pattern takes about 360
    characters plus 60 and the ARN's length per role: the default roles (the bootstrap role,
    at most 94 characters, and Application Auto Scaling's, at most 160) make it about 740
    characters long, which leaves room for two more roles with 60-character ARNs;
    :func:`max_deployment_roles` counts how many roles of an ARN length fit. Construction
    raises :class:`~constructs_lib.core.InvalidPropsError` when the pattern would be too
    long. ARNs holding the stack's unresolved account, region or partition count at their
    longest (12, 15 and 10 characters); ARNs holding other unresolved values (e.g. a role
    of this app) count only their literal text, so a pattern with them may still be too long.

    :param actions: what the endpoint-change alarm does on ALARM / OK. Required: pass e.g.
        ``NotificationTopic.actions``, or ``AlarmActions.none(reason=...)``.
    :param deployment_role_arns: the roles allowed to change endpoints (IAM role ARNs; ``*``
        wildcards allowed, e.g. ``arn:aws:iam::123456789012:role/deployer-*``). An empty
        list alarms on every change. Default: this environment's CDK bootstrap
        CloudFormation execution role,
        ``arn:<partition>:iam::<account>:role/cdk-<qualifier>-cfn-exec-role-<account>-<region>``,
        with the app's bootstrap qualifier (context ``@aws-cdk/core:bootstrapQualifier``;
        CDK's default ``hnb659fds`` when unset). Pass the ARNs yourself for a qualifier or
        role set on the stack's synthesizer instead, for other regions of a multi-region
        trail, or for a pipeline that deploys with another role.
    :param allow_autoscaling_role: also allow Application Auto Scaling's service-linked
        role, which calls UpdateEndpointWeightsAndCapacities on every scaling activity.
        Default: True.
    :param multi_region: record events of every region, not only this stack's. Default:
        False (SageMaker endpoints are regional; an organization trail usually covers the
        rest).
    :param management_events: which management events to record. Default: all (read and
        write).
    :param data_event_buckets: buckets (e.g. model artifacts) whose object-level S3
        operations are recorded as data events (billed per event). Default: none.
    :param data_events_read_write: which data events on those buckets. Default: all.
    :param log_retention: retention of the CloudWatch log group; a ``logs.RetentionDays``
        member. Default: one year.
    :param encryption_key: the key for log files, bucket and log group; its policy is
        extended when it belongs to this app (an imported key must already allow
        CloudTrail and CloudWatch Logs). Default: a new customer-managed key with rotation.
    :param trail_name: the trail's name. Default: derived from the construct path (the key
        policy names the trail, so the name must be known before the trail exists).
    :param log_group_name: the CloudWatch log group's name. Default:
        ``/mlops/audit/<name derived from the construct path>``.
    :param alarm_period: the alarm's period. Default: 5 minutes.
    :param removal_policy: what happens to the trail bucket, the access-logs bucket, the
        log group and the key this construct creates (not a given ``encryption_key``) when
        they leave the stack or the stack is deleted. With ``DESTROY`` the log group goes,
        the key is scheduled for deletion (its log files become unreadable), and
        CloudFormation deletes each bucket only if it is empty: empty them first, or the
        stack deletion fails. Meant for short-lived test stacks; an audit trail you rely on
        keeps the default. Default: ``RemovalPolicy.RETAIN``.

    Attributes: ``trail``, ``trail_name``, ``trail_arn``, ``bucket``, ``access_logs_bucket``,
    ``log_group``, ``log_group_name``, ``encryption_key``, ``endpoint_changes_filter``,
    ``endpoint_changes_alarm`` and ``deployment_role_arns`` (the roles the alarm ignores).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        actions: AlarmActions,
        deployment_role_arns: Sequence[str] | None = None,
        allow_autoscaling_role: bool = True,
        multi_region: bool = False,
        management_events: cloudtrail.ReadWriteType = cloudtrail.ReadWriteType.ALL,
        data_event_buckets: Sequence[s3.IBucket] = (),
        data_events_read_write: cloudtrail.ReadWriteType = cloudtrail.ReadWriteType.ALL,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        encryption_key: kms.IKey | None = None,
        trail_name: str | None = None,
        log_group_name: str | None = None,
        alarm_period: Duration | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        _check_actions(self, "actions", actions)
        self._configure_names(trail_name, log_group_name)
        self._configure_deployment_roles(deployment_role_arns, allow_autoscaling_role)
        self._configure_encryption(encryption_key, removal_policy)
        self._configure_buckets(removal_policy)
        self._configure_log_group(log_retention, removal_policy)
        self._configure_trail(
            multi_region, management_events, data_event_buckets, data_events_read_write
        )
        self._configure_endpoint_changes_alarm(actions, alarm_period)

    # -- construction steps -----------------------------------------------------------------

    def _configure_names(self, trail_name: str | None, log_group_name: str | None) -> None:
        """Name the trail and its log group: the key policy needs both before they exist."""
        #: The trail's name.
        self.trail_name: str = trail_name or Names.unique_resource_name(
            self, max_length=128, separator="-"
        )
        _check_trail_name(self, self.trail_name)
        #: The CloudWatch log group's name.
        self.log_group_name: str = log_group_name or (
            "/mlops/audit/" + Names.unique_resource_name(self, max_length=400, separator="-")
        )
        stack = Stack.of(self)
        #: The trail's ARN.
        self.trail_arn: str = stack.format_arn(
            service="cloudtrail", resource="trail", resource_name=self.trail_name
        )
        # Without the ":*" suffix: the form of the KMS encryption context of CloudWatch Logs.
        self._log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=self.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _configure_deployment_roles(
        self, given: Sequence[str] | None, allow_autoscaling: bool
    ) -> None:
        """Check the roles the alarm ignores, and that the filter pattern can name them all."""
        stack = Stack.of(self)
        if given is None:
            roles = [_bootstrap_role_arn(stack)]
        else:
            roles = list(given)
            for i, arn in enumerate(roles):
                _check_role_arn(self, f"deployment_role_arns[{i}]", arn)
        if allow_autoscaling:
            roles.append(
                f"arn:{stack.partition}:iam::{stack.account}:role/{AUTOSCALING_SERVICE_LINKED_ROLE}"
            )
        self._check_filter_pattern_length(roles, allow_autoscaling)
        #: The role ARNs the alarm ignores.
        self.deployment_role_arns: tuple[str, ...] = tuple(roles)

    def _configure_encryption(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> None:
        """Create the key unless one is given; let this trail and its log group use it."""
        #: The key of the log files, the trail bucket and the log group.
        self.encryption_key: kms.IKey = key_or_new(
            self,
            encryption_key,
            description=f"Encrypts the CloudTrail trail {self.trail_name} and its logs",
            removal_policy=removal_policy,
        )
        _allow_cloudtrail_to_use_key(self, self.encryption_key, self.trail_arn)
        _allow_logs_to_use_key(self, self.encryption_key, self._log_group_arn)

    def _configure_buckets(self, removal_policy: RemovalPolicy) -> None:
        """Create the trail bucket and the bucket that receives its server access logs."""
        #: The bucket that receives the trail bucket's server access logs.
        self.access_logs_bucket: s3.Bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
        )
        self._acknowledge_access_logs_bucket()
        #: The bucket of the trail's log files.
        self.bucket: s3.Bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.encryption_key,
            bucket_key_enabled=True,
            versioned=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
        )
        self._log_access_to(self.access_logs_bucket, _ACCESS_LOGS_PREFIX)
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(self.bucket, f"{pack}-S3BucketReplicationEnabled", _NO_REPLICATION_REASON)

    def _configure_log_group(
        self, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        check_retention(self, "log_retention", log_retention)
        #: The CloudWatch log group the trail delivers to.
        self.log_group: logs.LogGroup = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=self.log_group_name,
            retention=log_retention,
            encryption_key=self.encryption_key,
            removal_policy=removal_policy,
        )

    def _configure_trail(
        self,
        multi_region: bool,
        management_events: cloudtrail.ReadWriteType,
        data_event_buckets: Sequence[s3.IBucket],
        data_events_read_write: cloudtrail.ReadWriteType,
    ) -> None:
        require(
            management_events
            in (cloudtrail.ReadWriteType.ALL, cloudtrail.ReadWriteType.WRITE_ONLY),
            self,
            "management_events",
            getattr(management_events, "name", management_events),
            "would leave the trail without the SageMaker write calls the alarm watches",
            "use ReadWriteType.ALL or ReadWriteType.WRITE_ONLY",
        )
        buckets = list(data_event_buckets)
        require(
            len(buckets) <= _MAX_DATA_RESOURCES,
            self,
            "data_event_buckets",
            f"{len(buckets)} buckets",
            f"exceeds CloudTrail's {_MAX_DATA_RESOURCES} data resources per trail",
            "record fewer buckets, or use several trails",
        )
        #: The trail.
        self.trail: cloudtrail.Trail = cloudtrail.Trail(
            self,
            "Trail",
            trail_name=self.trail_name,
            bucket=self.bucket,
            encryption_key=self.encryption_key,
            enable_file_validation=True,
            is_multi_region_trail=multi_region,
            include_global_service_events=True,
            management_events=management_events,
        )
        self._deliver_to_log_group()
        if buckets:
            self.trail.add_s3_event_selector(
                [cloudtrail.S3EventSelector(bucket=b) for b in buckets],
                include_management_events=False,
                read_write_type=data_events_read_write,
            )

    def _configure_endpoint_changes_alarm(
        self, actions: AlarmActions, alarm_period: Duration | None
    ) -> None:
        #: The metric filter that counts endpoint changes by other principals.
        self.endpoint_changes_filter: logs.MetricFilter = logs.MetricFilter(
            self,
            "EndpointChangesFilter",
            log_group=self.log_group,
            filter_pattern=endpoint_changes_filter_pattern(self.deployment_role_arns),
            metric_namespace=AUDIT_METRIC_NAMESPACE,
            metric_name=f"UnexpectedEndpointChanges-{self.trail_name}",
            metric_value="1",
            default_value=0,
        )
        #: The alarm on the first such change.
        self.endpoint_changes_alarm: cloudwatch.Alarm = _create_metric_filter_alarm(
            self,
            "EndpointChangesAlarm",
            metric_filter=self.endpoint_changes_filter,
            spec=MetricFilterAlarm(actions=actions, period=alarm_period),
            prop="alarm",
            default_description=(
                "A SageMaker endpoint or endpoint configuration was created, updated or "
                "deleted by a principal that is not a deployment role "
                f"(trail {self.trail_name})."
            ),
        )

    # -- private helpers --------------------------------------------------------------------

    def _check_filter_pattern_length(self, roles: Sequence[str], with_autoscaling: bool) -> None:
        """Refuse role lists whose filter pattern would exceed CloudWatch Logs' limit.

        Each ARN is replaced by a stand-in of its worst-case rendered length (see
        :func:`_worst_case_stand_in`), and the pattern is rendered with the stand-ins.
        """
        stack = Stack.of(self)
        maxima = dict(_PSEUDO_PARAMETER_MAX_LENGTH)
        exact: set[str] = set()
        if not is_token(stack.region):
            partition = region_info.RegionInfo.get(stack.region).partition
            if partition:
                maxima["AWS::Partition"] = len(partition)
                exact.add("AWS::Partition")
        stand_ins: list[str] = []
        refs: set[str] = set()
        bounded = True
        for arn in roles:
            stand_in, arn_refs, arn_bounded = _worst_case_stand_in(stack, arn, maxima)
            stand_ins.append(stand_in)
            refs |= arn_refs
            bounded = bounded and arn_bounded
        length = len(endpoint_changes_filter_pattern(stand_ins).log_pattern_string)
        if length <= MAX_FILTER_PATTERN_LENGTH:
            return
        estimated = [r for r in _PSEUDO_PARAMETER_MAX_LENGTH if r in refs - exact]
        how = ""
        if not bounded:
            how = " at least (counting only the literal text of unresolved ARNs)"
        elif estimated:
            counted = [f"{_PSEUDO_PARAMETER_LABELS[r]} as {maxima[r]}" for r in estimated]
            listed = " and ".join(
                [", ".join(counted[:-1]), counted[-1]] if counted[:-1] else counted
            )
            how = f" in the worst case (counting an unresolved {listed} characters)"
        fix = (
            "allow fewer roles: cover the roles that share a name prefix with one wildcard "
            "ARN (e.g. arn:aws:iam::123456789012:role/deployer-*), or deploy through one role "
            "per deployment path"
        )
        if estimated:
            fix += "; giving the stack an explicit account and region shortens the estimate"
        autoscaling = " including the Application Auto Scaling role" if with_autoscaling else ""
        average = -(-sum(len(a) for a in stand_ins) // len(stand_ins))  # rounded up
        raise InvalidPropsError(
            self,
            "deployment_role_arns",
            f"{len(roles)} role ARNs{autoscaling}",
            f"make the endpoint-change filter pattern {length} characters long{how}, over "
            f"CloudWatch Logs' limit of {MAX_FILTER_PATTERN_LENGTH} characters for a metric "
            f"filter pattern; at most {max_deployment_roles(average)} role ARNs of "
            f"{average} characters (their average length here) fit",
            fix,
        )

    def _deliver_to_log_group(self) -> None:
        """Have the trail deliver to the log group through a role with a managed policy.

        ``Trail(send_to_cloud_watch_logs=True)`` would give its role an inline policy,
        which the HIPAA and NIST packs refuse; ``log_group.grant_write`` fills the managed
        policy instead (``logs:CreateLogStream`` and ``logs:PutLogEvents`` on this group).
        """
        role = iam.Role(
            self,
            "LogsRole",
            assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com"),
            description=f"Lets CloudTrail trail {self.trail_name} write to its log group",
        )
        policy = iam.ManagedPolicy(
            self,
            "LogsPolicy",
            description=f"Writes of CloudTrail trail {self.trail_name} to its log group",
            roles=[role],
        )
        self.log_group.grant_write(policy)
        resource = self.trail.node.default_child
        assert isinstance(resource, cloudtrail.CfnTrail)
        resource.cloud_watch_logs_log_group_arn = self.log_group.log_group_arn
        resource.cloud_watch_logs_role_arn = role.role_arn
        # CreateTrail checks that the role can write, so the policy must be attached first.
        resource.node.add_dependency(policy)

    def _log_access_to(self, target: s3.Bucket, prefix: str) -> None:
        """Send the trail bucket's server access logs to ``target`` under ``prefix``.

        Set on the CloudFormation resource, with a bucket policy for the S3 logging
        service, instead of through ``server_access_logs_bucket``: without the app-level
        feature flag ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` that prop falls
        back to the ``LogDeliveryWrite`` ACL, which buckets with ACLs disabled refuse.
        The statement is written out rather than ``target.grant_put()``, which would also
        grant ``s3:PutObjectLegalHold``, ``s3:PutObjectRetention``, the tagging actions and
        ``s3:Abort*`` that the S3 logging service does not need.
        """
        resource = self.bucket.node.default_child
        assert isinstance(resource, s3.CfnBucket)
        resource.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=target.bucket_name, log_file_prefix=prefix
        )
        target.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowS3ServerAccessLogsOfTrailBucket",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[target.arn_for_objects(f"{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": self.bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                },
            )
        )

    def _acknowledge_access_logs_bucket(self) -> None:
        bucket = self.access_logs_bucket
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket receives the trail bucket's server access logs; logging it to "
            "itself would loop, and S3 records no access logs for a log target this way.",
        )
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(
                bucket,
                f"{pack}-S3BucketLoggingEnabled",
                "This bucket is the server access log target; logging it to itself would loop.",
            )
            acknowledge(
                bucket,
                f"{pack}-S3DefaultEncryptionKMS",
                "S3 server access logging delivers only to buckets with SSE-S3 default "
                "encryption; SSE-KMS target buckets are not supported.",
            )
            acknowledge(bucket, f"{pack}-S3BucketReplicationEnabled", _NO_REPLICATION_REASON)


_ACCESS_LOGS_PREFIX = "trail-bucket/"
_NO_REPLICATION_REASON = (
    "Audit logs stay in the account's home region (data residency); the bucket is versioned "
    "and retained, and log file validation detects tampering. Cross-region replication is "
    "an organisation-level choice (e.g. an organization trail to a log archive account)."
)


def endpoint_changes_filter_pattern(deployment_role_arns: Sequence[str]) -> logs.IFilterPattern:
    """The CloudWatch Logs JSON filter pattern for endpoint changes by other principals.

    It matches CloudTrail records with ``eventSource`` ``sagemaker.amazonaws.com``, an
    ``eventName`` in :data:`ENDPOINT_CHANGE_EVENTS`, and a session issuer that is absent or
    differs from every ARN in ``deployment_role_arns`` (none given: every change matches).
    """
    source = logs.FilterPattern.string_value("$.eventSource", "=", "sagemaker.amazonaws.com")
    names = logs.FilterPattern.any(
        *(logs.FilterPattern.string_value("$.eventName", "=", n) for n in ENDPOINT_CHANGE_EVENTS)
    )
    if not deployment_role_arns:
        return logs.FilterPattern.all(source, names)
    others = logs.FilterPattern.all(
        *(
            logs.FilterPattern.string_value(_SESSION_ISSUER_ARN, "!=", a)
            for a in deployment_role_arns
        )
    )
    who = logs.FilterPattern.any(logs.FilterPattern.not_exists(_SESSION_ISSUER_ARN), others)
    return logs.FilterPattern.all(source, names, who)


@lru_cache(maxsize=64)
def max_deployment_roles(role_arn_length: int) -> int:
    """How many deployment role ARNs of ``role_arn_length`` characters fit in the filter.

    The count is of every role in the pattern of :func:`endpoint_changes_filter_pattern`
    under :data:`MAX_FILTER_PATTERN_LENGTH`: with ``AuditTrail(allow_autoscaling_role=True)``
    (the default) Application Auto Scaling's role (153 characters in the ``aws`` partition)
    is one of them. E.g. ``max_deployment_roles(60)`` is 5, ``max_deployment_roles(100)``
    is 4.
    """
    if role_arn_length < 1:
        raise ValueError(f"role_arn_length={role_arn_length!r} must be at least 1")

    def length(count: int) -> int:
        arns = [str(i % 10) * role_arn_length for i in range(count)]
        return len(endpoint_changes_filter_pattern(arns).log_pattern_string)

    one, two, three = length(1), length(2), length(3)
    if one > MAX_FILTER_PATTERN_LENGTH:
        return 0
    if two > MAX_FILTER_PATTERN_LENGTH:
        return 1
    # From two roles on, each further role adds the same text.
    return 2 + (MAX_FILTER_PATTERN_LENGTH - two) // (three - two)


def _worst_case_stand_in(
    stack: Stack, arn: str, maxima: dict[str, int]
) -> tuple[str, set[str], bool]:
    """A stand-in for ``arn`` at its longest, its pseudo parameters, and if that is a bound.

    Returns a string as long as ``arn`` can render, the pseudo parameters it holds, and
    whether the string's length is an upper bound. A resolved ARN is its own stand-in. In
    an ARN with tokens, the stack's pseudo parameters (``maxima``) become fillers of their
    longest length and other tokens (e.g. the ARN of a role of this app) become empty: the
    length is then only a lower bound (False).
    """
    if not is_token(arn):
        return arn, set(), True
    refs: set[str] = set()
    text, bounded = _stand_in_of(stack.resolve(arn), maxima, refs)
    return text, refs, bounded


def _stand_in_of(node: Any, maxima: dict[str, int], refs: set[str]) -> tuple[str, bool]:
    if isinstance(node, str):
        return node, True
    if isinstance(node, dict) and len(node) == 1:
        if "Ref" in node and node["Ref"] in maxima:
            refs.add(node["Ref"])
            return "x" * maxima[node["Ref"]], True
        if "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            if isinstance(separator, str) and isinstance(parts, list):
                done = [_stand_in_of(p, maxima, refs) for p in parts]
                return separator.join(t for t, _ in done), all(b for _, b in done)
    return "", False


def _bootstrap_role_arn(stack: Stack) -> str:
    """The ARN of CDK's bootstrap CloudFormation execution role in ``stack``'s environment.

    Built from CDK's own template of that ARN with the app's bootstrap qualifier (context
    ``@aws-cdk/core:bootstrapQualifier``, else CDK's default ``hnb659fds``). A qualifier
    or role passed to a synthesizer's props is not seen: jsii hands Python the synthesizer
    as constructed, not the copy the stack bound, so its role getter fails.
    """
    qualifier = stack.node.try_get_context(_BOOTSTRAP_QUALIFIER_CONTEXT)
    arn = DefaultStackSynthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN.replace(
        "${Qualifier}", str(qualifier or DefaultStackSynthesizer.DEFAULT_QUALIFIER)
    )
    for placeholder, value in (
        ("${AWS::Partition}", stack.partition),
        ("${AWS::AccountId}", stack.account),
        ("${AWS::Region}", stack.region),
    ):
        arn = arn.replace(placeholder, value)
    return arn


def _allow_cloudtrail_to_use_key(scope: Construct, key: kms.IKey, trail_arn: str) -> None:
    """Let this one trail encrypt its log files with ``key`` (and describe the key).

    Key-policy statements rather than a CDK grant: CDK's ``key.grant*`` methods add no
    ``aws:SourceArn`` or ``kms:EncryptionContext:aws:cloudtrail:arn`` condition, so the
    CloudTrail service principal could use the key for any trail of any account; these
    limit it to this trail (and ``cloudtrail.Trail`` itself adds no key policy).
    """
    trail_context = Stack.of(scope).format_arn(
        service="cloudtrail", region="*", resource="trail", resource_name="*"
    )
    principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
    added = key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudTrailToEncryptLogs",
            principals=[principal],
            actions=["kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
            },
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudTrailToDescribeKey",
            principals=[principal],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        )
    )
    if not added.statement_added:
        Annotations.of(scope).add_warning_v2(
            "constructs_lib:importedTrailKey",
            "encryption_key is imported, so its key policy cannot be extended here: it must "
            "allow cloudtrail.amazonaws.com kms:GenerateDataKey* and kms:DescribeKey for this "
            "trail, and CloudWatch Logs the use of it for the trail's log group.",
        )


def _check_trail_name(scope: Construct, name: str) -> None:
    if is_token(name):
        return
    require(
        bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]", name))
        and not re.search(r"[._-]{2}", name),
        scope,
        "trail_name",
        name,
        "is not a valid CloudTrail trail name",
        "use 3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or "
        "digit, without two separators in a row",
    )


def _check_role_arn(scope: Construct, prop: str, arn: object) -> None:
    require(isinstance(arn, str), scope, prop, arn, "is not a string", "pass an IAM role ARN")
    assert isinstance(arn, str)
    if Token.is_unresolved(arn):
        return
    require(
        bool(_ROLE_ARN.match(arn)) and '"' not in arn,
        scope,
        prop,
        arn,
        "is not an IAM role ARN",
        "use arn:<partition>:iam::<account>:role/<name> (the role, not an assumed-role "
        "session ARN)",
    )
