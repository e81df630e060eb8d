"""What every SageMaker Model Monitor construct shares: :class:`ModelMonitor`.

The four kinds live in :mod:`~constructs_lib.monitoring.quality` (data quality and model
quality, run by the Model Monitor analyzer) and :mod:`~constructs_lib.monitoring.clarify`
(model bias and feature attribution, run by SageMaker Clarify). Each creates an
``AWS::SageMaker::<Kind>JobDefinition``, the ``AWS::SageMaker::MonitoringSchedule`` that runs
it, a least-privilege execution role of its own, and (by default) a customer-managed KMS key
with rotation for the instances' volumes. What they share is written once, here; each kind
adds only its inputs.

AWS documents Model Monitor as no longer open to new customers (existing customers keep it);
the library's own drift detector works in every account. Use these constructs where your
account still has Model Monitor.

Update behaviour: every job-definition property is create-only, so any change replaces the
job definition. Its name is derived from a hash of its content (a fixed name would collide
with itself on replacement); the schedule keeps its name and is updated in place to point
at the new definition, and CloudFormation then deletes the old one.

Alarm hooks: SageMaker publishes each kind's figures to CloudWatch (namespace
:attr:`ModelMonitor.metrics_namespace`, dimensions ``Endpoint`` and ``MonitoringSchedule``);
:meth:`ModelMonitor.metric` builds them. SageMaker publishes no CloudWatch metric for a
failed or stopped monitoring execution: a failed-run alarm has to find the schedule's
executions by :attr:`ModelMonitor.schedule_name` / :attr:`ModelMonitor.schedule_arn`
(``DescribeMonitoringSchedule`` gives ``LastMonitoringExecutionSummary``; EventBridge
carries "SageMaker Monitoring Schedule State Change" and "SageMaker Processing Job State
Change" events, and whether the latter name the schedule is not documented).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict

from aws_cdk import Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_lib.core import (
    InvalidPropsError,
    check_duration_seconds,
    check_name,
    check_range,
    is_token,
    key_or_new,
    require,
)
from constructs_lib.monitoring._permissions import MonitorPolicy
from constructs_lib.monitoring.locations import S3Location
from constructs_lib.monitoring.schedule import MonitorSchedule
from constructs_lib.serving.capture import DataCapture
from constructs_lib.serving.endpoint import Endpoint, IEndpoint
from constructs_lib.serving.instance_types import INSTANCE_TYPE_PATTERN, has_local_nvme_storage
from constructs_lib.serving.model import ContainerImage

__all__ = ["ModelMonitor", "MonitorProps"]

#: Where the job sees the captured data and writes its reports (the SDK's defaults).
_INPUT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
_OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
#: The longest run SageMaker accepts (MonitoringStoppingCondition.MaxRuntimeInSeconds).
_MAX_RUNTIME_SECONDS = 86400


@dataclass(frozen=True)
class _Kind:
    """What distinguishes one kind of monitor from another (one row per kind)."""

    monitoring_type: str
    prop_prefix: str
    cfn_class: Any
    image_repository: str
    image_tag: str
    registry_accounts: Mapping[str, str]
    metrics_namespace: str
    slug: str
    merges_ground_truth: bool
    capture_modes: tuple[str, ...]


class _RequiredMonitorProps(TypedDict):
    endpoint: IEndpoint | str
    data_capture: DataCapture
    output_bucket: s3.IBucket


class MonitorProps(_RequiredMonitorProps, total=False):
    """The props every monitor takes (see :class:`ModelMonitor` for their defaults)."""

    output_prefix: str
    output_encryption_key: kms.IKey
    schedule: MonitorSchedule
    schedule_name: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    volume_encryption_key: kms.IKey
    max_runtime: Duration
    network_isolation: bool
    inter_container_encryption: bool
    publish_metrics: bool
    role: iam.IRole
    removal_policy: RemovalPolicy


class ModelMonitor(Construct):
    """What every Model Monitor construct shares; use one of the four kinds.

    The kinds: :class:`~constructs_lib.monitoring.DataQualityMonitor`,
    :class:`~constructs_lib.monitoring.ModelQualityMonitor`,
    :class:`~constructs_lib.monitoring.ModelBiasMonitor` and
    :class:`~constructs_lib.monitoring.ModelExplainabilityMonitor`.

    :param endpoint: the monitored endpoint (an :class:`~constructs_lib.serving.Endpoint`,
        an import, or its name). It must be instance-backed: SageMaker has no Model Monitor
        for serverless endpoints.
    :param data_capture: the :class:`~constructs_lib.serving.DataCapture` given to the
        endpoint; the job reads ``<prefix>/<endpoint name>/`` of its bucket (and decrypts
        with its key).
    :param output_bucket: where reports go, SSE-KMS encrypted.
    :param output_prefix: key prefix of the reports. Default:
        ``model-monitor/<endpoint name>/<kind>`` (kind: ``data-quality``, ``model-quality``,
        ``model-bias``, ``model-explainability``).
    :param output_encryption_key: the KMS key of the reports. Default:
        ``output_bucket.encryption_key``; one of the two is required.
    :param schedule: when the job runs. Default: hourly.
    :param schedule_name: the schedule's name (1-63 letters, digits, hyphens; unique in the
        account and region). Default: derived from the construct path.
    :param instance_type: the processing instance type. Default: ``ml.m5.xlarge``.
    :param instance_count: instances, 1-100. Default: 1.
    :param volume_size_gb: storage volume per instance, 1-16384 GB. Default: 30.
    :param volume_encryption_key: KMS key of the storage volumes. Default: a new
        customer-managed key with rotation; none for instance types with local NVMe
        storage, which SageMaker encrypts in hardware and where it refuses a key.
    :param max_runtime: how long one run may take, at most the schedule's interval (for
        model-quality and model-bias jobs half of it, shared with the ground-truth merge),
        and at most 24 hours. Default: the lesser of that limit and one hour (so 30 minutes
        for hourly model-quality and model-bias jobs).
    :param network_isolation: no network access for the job's containers. Default: True.
    :param inter_container_encryption: encrypt traffic between the job's instances.
        Default: True.
    :param publish_metrics: publish the job's figures to CloudWatch. Default: True.
    :param role: a role of your own; the job's least-privilege policy is attached to it.
        Default: a new role only SageMaker can assume.
    :param removal_policy: what happens to the volume key created here when it leaves the
        stack. Default: RETAIN.

    Attributes: ``endpoint``, ``schedule_name``, ``schedule_arn``, ``job_definition_name``,
    ``job_definition_arn``, ``monitoring_type``, ``metrics_namespace``, ``role``,
    ``policy``, ``image_uri``, ``output_s3_uri``, ``output_encryption_key``,
    ``volume_encryption_key``, ``max_runtime_seconds``.
    """

    _kind: ClassVar[_Kind]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: IEndpoint | str,
        data_capture: DataCapture,
        output_bucket: s3.IBucket,
        output_prefix: str | None = None,
        output_encryption_key: kms.IKey | None = None,
        schedule: MonitorSchedule | None = None,
        schedule_name: str | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size_gb: int = 30,
        volume_encryption_key: kms.IKey | None = None,
        max_runtime: Duration | None = None,
        network_isolation: bool = True,
        inter_container_encryption: bool = True,
        publish_metrics: bool = True,
        role: iam.IRole | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        if not hasattr(type(self), "_kind"):
            raise TypeError(
                "ModelMonitor is the shared base: use DataQualityMonitor, ModelQualityMonitor, "
                "ModelBiasMonitor or ModelExplainabilityMonitor"
            )
        super().__init__(scope, construct_id)
        #: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
        self.monitoring_type: str = self._kind.monitoring_type
        #: The CloudWatch namespace SageMaker publishes this kind's figures to.
        self.metrics_namespace: str = self._kind.metrics_namespace
        self._configure_endpoint(endpoint, data_capture)
        self._configure_timing(schedule or MonitorSchedule.hourly(), schedule_name, max_runtime)
        self._permissions = MonitorPolicy(self, role)
        #: The job definition's execution role.
        self.role: iam.IRole = self._permissions.role
        #: The managed policy holding every permission of :attr:`role`.
        self.policy: iam.ManagedPolicy = self._permissions.policy
        self._permissions.logs_and_metrics()
        self._configure_cluster(
            instance_type, instance_count, volume_size_gb, volume_encryption_key, removal_policy
        )
        self._configure_output(output_bucket, output_prefix, output_encryption_key)
        self._configure_capture_input()
        self._configure_image()
        self._network = (network_isolation, inter_container_encryption)
        self._environment = {
            "publish_cloudwatch_metrics": "Enabled" if publish_metrics else "Disabled"
        }

    # -- alarm hooks ------------------------------------------------------------------------

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Average",
        period: Duration | None = None,
        dimensions: Mapping[str, str] | None = None,
    ) -> cloudwatch.Metric:
        """A figure this monitor publishes, e.g. ``feature_baseline_drift_<feature>``.

        :param metric_name: the metric's name, as the kind's documentation gives it.
        :param statistic: the statistic. Default: ``Average``.
        :param period: the period. Default: the schedule's interval (one run per period).
        :param dimensions: further dimensions (Clarify adds ``Label``, ``Facet``, ...).
            Default: only ``Endpoint`` and ``MonitoringSchedule``.
        """
        hours = self._interval_hours or 1
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=metric_name,
            dimensions_map={
                "Endpoint": self.endpoint.endpoint_name,
                "MonitoringSchedule": self.schedule_name,
                **(dimensions or {}),
            },
            statistic=statistic,
            period=period or Duration.hours(hours),
        )

    # -- configuration steps ----------------------------------------------------------------

    def _configure_endpoint(self, endpoint: IEndpoint | str, capture: DataCapture) -> None:
        if isinstance(endpoint, str):
            endpoint = Endpoint.from_endpoint_name(self, "Endpoint", endpoint)
        if isinstance(endpoint, Endpoint):
            serverless = [v.variant_name for v in endpoint.variants if v.is_serverless]
            require(
                not serverless,
                self,
                "endpoint",
                f"{endpoint.node.path} (serverless variant {', '.join(serverless)})",
                "is serverless; SageMaker has no data capture and no Model Monitor for "
                "serverless endpoints",
                "monitor an instance-backed endpoint, or use the library's drift detector",
            )
        #: The monitored endpoint.
        self.endpoint: IEndpoint = endpoint
        needed = {"Input": capture.capture_input, "Output": capture.capture_output}
        missing = [mode for mode in self._kind.capture_modes if not needed[mode]]
        require(
            not missing,
            self,
            "data_capture",
            f"capture_input={capture.capture_input}, capture_output={capture.capture_output}",
            f"does not capture the endpoint's {' and '.join(m.lower() for m in missing)}, "
            f"which a {self.monitoring_type} job analyses",
            f"set capture_{missing[0].lower() if missing else 'input'}=True on the endpoint's "
            "DataCapture",
        )
        # SageMaker writes under <prefix>/<endpoint name>/<variant>/yyyy/mm/dd/hh/.
        prefix = capture.prefix.strip("/")
        name = endpoint.endpoint_name
        self._capture_prefix = f"{prefix}/{name}" if prefix else name
        self._capture = capture

    def _configure_timing(
        self, schedule: MonitorSchedule, schedule_name: str | None, max_runtime: Duration | None
    ) -> None:
        #: When the job runs.
        self.schedule: MonitorSchedule = schedule
        self._interval_hours = schedule._interval_hours(self, "schedule")
        check_name(self, "schedule_name", schedule_name)
        #: The monitoring schedule's name (the ``MonitoringSchedule`` metric dimension).
        self.schedule_name: str = schedule_name or Names.unique_resource_name(
            self, max_length=63, separator="-"
        )
        interval = (self._interval_hours or 24) * 3600
        limit = min(
            _MAX_RUNTIME_SECONDS, interval // 2 if self._kind.merges_ground_truth else interval
        )
        seconds = check_duration_seconds(self, "max_runtime", max_runtime, 1, _MAX_RUNTIME_SECONDS)
        require(
            seconds is None or is_token(seconds) or seconds <= limit,
            self,
            "max_runtime",
            max_runtime,
            f"is longer than a {self.monitoring_type} job may run on schedule "
            f"{schedule.expression} (at most the interval"
            + (", halved for the ground-truth merge job" if self._kind.merges_ground_truth else "")
            + ")",
            f"use at most {limit} s, or a schedule with a longer interval",
        )
        #: The longest one run may take, in seconds.
        self.max_runtime_seconds: int = seconds if seconds is not None else min(limit, 3600)

    def _configure_cluster(
        self,
        instance_type: str,
        instance_count: int,
        volume_size_gb: int,
        volume_encryption_key: kms.IKey | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        require(
            is_token(instance_type) or bool(INSTANCE_TYPE_PATTERN.match(instance_type)),
            self,
            "instance_type",
            instance_type,
            "is not a SageMaker instance type",
            "use ml.<family>.<size>, e.g. ml.m5.xlarge",
        )
        check_range(self, "instance_count", instance_count, 1, 100, integer=True)
        check_range(self, "volume_size_gb", volume_size_gb, 1, 16384, integer=True)
        local_storage = not is_token(instance_type) and has_local_nvme_storage(instance_type)
        require(
            not (local_storage and volume_encryption_key is not None),
            self,
            "volume_encryption_key",
            instance_type,
            "is set for an instance type with local NVMe storage, which SageMaker encrypts in "
            "hardware and for which it refuses VolumeKmsKeyId",
            "drop volume_encryption_key, or use an instance type without local storage",
        )
        #: The key of the instances' storage volumes (None for local-NVMe instance types).
        self.volume_encryption_key: kms.IKey | None = None
        if not local_storage:
            self.volume_encryption_key = key_or_new(
                self,
                volume_encryption_key,
                description=f"Encrypts the storage volumes of Model Monitor job {self.node.path}",
                removal_policy=removal_policy,
                construct_id="VolumeKey",
            )
            self._permissions.use_volume_key(self.volume_encryption_key)
        self._cluster = (instance_type, instance_count, volume_size_gb)

    def _configure_output(
        self, bucket: s3.IBucket, prefix: str | None, encryption_key: kms.IKey | None
    ) -> None:
        key = encryption_key or bucket.encryption_key
        if key is None:
            raise InvalidPropsError(
                self,
                "output_encryption_key",
                None,
                "is missing and output_bucket has no KMS key CDK knows of, so the reports "
                "would not be encrypted with a key of yours",
                "pass output_encryption_key=<the bucket's KMS key>, or a KMS-encrypted bucket",
            )
        #: The KMS key the reports are encrypted with.
        self.output_encryption_key: kms.IKey = key
        if prefix is None:
            prefix = f"model-monitor/{self.endpoint.endpoint_name}/{self._kind.slug}"
        elif not is_token(prefix):
            require(
                bool(prefix.strip("/")),
                self,
                "output_prefix",
                prefix,
                "is empty; the role may write only under a prefix of its own",
                "pass a prefix such as 'model-monitor/churn/data-quality'",
            )
            prefix = prefix.strip("/")
        self._permissions.write_prefix(bucket, prefix, key)
        #: Where the reports go.
        self.output_s3_uri: str = bucket.s3_url_for_object(prefix)

    def _configure_image(self) -> None:
        kind = self._kind
        image = ContainerImage.from_sagemaker_image(
            kind.image_repository, kind.image_tag, kind.registry_accounts
        )
        #: The SageMaker-provided image the job runs, resolved for the stack's region.
        self.image_uri: str = image.bind(self, self._permissions.grantee).image_name

    def _configure_capture_input(self) -> None:
        """Let the job read the endpoint's captured data (and decrypt it)."""
        capture = self._capture
        bucket = capture.bucket
        key = capture.encryption_key or bucket.encryption_key
        reason = (
            "SageMaker names captured files at run time (variant, date, hour); the grant is "
            "read-only and limited to the monitored endpoint's capture prefix."
        )
        self._permissions.read_prefix(bucket, self._capture_prefix, key, reason)

    def _endpoint_input(self, **extra: Any) -> Any:
        """The job's ``EndpointInput``; ``extra`` holds the kind's attributes."""
        return self._kind.cfn_class.EndpointInputProperty(
            endpoint_name=self.endpoint.endpoint_name,
            local_path=_INPUT_LOCAL_PATH,
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
            **{k: v for k, v in extra.items() if v is not None},
        )

    def _bind_required(
        self, location: S3Location | None, prop: str, fix: str, *, prefix: bool = False
    ) -> str:
        """Check a required input is given, grant its read, return its URI."""
        if location is None:
            raise InvalidPropsError(
                self, prop, None, f"is missing; a {self.monitoring_type} job needs it", fix
            )
        if prefix:
            reason = (
                "Labels are written under <prefix>/yyyy/mm/dd/hh/ as they arrive; the grant is "
                "read-only and limited to the ground-truth prefix."
            )
            return location._bind_prefix(self, self._permissions, prop, reason)
        return location._bind_object(self, self._permissions, prop)

    def _configure_job_definition(
        self, *, app_specification: Any, job_input: Any, baseline_config: Any = None
    ) -> None:
        """Create the kind's job definition (named after its content) and its schedule."""
        cls = self._kind.cfn_class
        instance_type, instance_count, volume_size_gb = self._cluster
        isolation, encryption = self._network
        key = self.volume_encryption_key
        props: dict[str, Any] = {
            f"{self._kind.prop_prefix}_app_specification": app_specification,
            f"{self._kind.prop_prefix}_job_input": job_input,
            f"{self._kind.prop_prefix}_job_output_config": cls.MonitoringOutputConfigProperty(
                kms_key_id=self.output_encryption_key.key_arn,
                monitoring_outputs=[
                    cls.MonitoringOutputProperty(
                        s3_output=cls.S3OutputProperty(
                            s3_uri=self.output_s3_uri,
                            local_path=_OUTPUT_LOCAL_PATH,
                            s3_upload_mode="Continuous",
                        )
                    )
                ],
            ),
            "job_resources": cls.MonitoringResourcesProperty(
                cluster_config=cls.ClusterConfigProperty(
                    instance_type=instance_type,
                    instance_count=instance_count,
                    volume_size_in_gb=volume_size_gb,
                    volume_kms_key_id=key.key_arn if key is not None else None,
                )
            ),
            "network_config": cls.NetworkConfigProperty(
                enable_network_isolation=isolation,
                enable_inter_container_traffic_encryption=encryption,
            ),
            "role_arn": self.role.role_arn,
            "stopping_condition": cls.StoppingConditionProperty(
                max_runtime_in_seconds=self.max_runtime_seconds
            ),
        }
        if baseline_config is not None:
            props[f"{self._kind.prop_prefix}_baseline_config"] = baseline_config
        #: The job definition's name: a new one whenever its content changes.
        self.job_definition_name: str = self._content_name(props)
        definition = cls(
            self, "JobDefinition", job_definition_name=self.job_definition_name, **props
        )
        # The job must not run before its role can do its work.
        definition.node.add_dependency(self.policy)
        #: The job definition's ARN.
        self.job_definition_arn: str = definition.attr_job_definition_arn
        self._configure_schedule(definition)

    def _content_name(self, props: Mapping[str, Any]) -> str:
        """``<schedule name>-<hash>``: unique per stack and path, new when the content changes."""
        stack = Stack.of(self)
        content = json.dumps(
            [stack.resolve(dict(props)), stack.stack_name, self.node.path, self.schedule_name],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:8]
        base = "monitor" if is_token(self.schedule_name) else self.schedule_name[:54].rstrip("-")
        return f"{base}-{digest}"

    def _configure_schedule(self, definition: Any) -> None:
        self._schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=self.schedule_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=self.job_definition_name,
                monitoring_type=self.monitoring_type,
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=self.schedule.expression
                ),
            ),
        )
        # The definition is referred to by name, which gives CloudFormation no dependency.
        self._schedule.node.add_dependency(definition)
        #: The monitoring schedule's ARN.
        self.schedule_arn: str = self._schedule.attr_monitoring_schedule_arn


def _offset(scope: Construct, prop: str, value: Duration | None) -> str | None:
    """A look-back as SageMaker's ISO 8601 offset: 1 day -> ``-P1D``, 6 hours -> ``-PT6H``."""
    if value is None:
        return None
    seconds = check_duration_seconds(scope, prop, value, 0, 3650 * 86400)
    assert seconds is not None
    require(
        seconds % 3600 == 0,
        scope,
        prop,
        value,
        "is not a whole number of hours",
        "use whole hours or days, e.g. Duration.hours(6) or Duration.days(1)",
    )
    hours = seconds // 3600
    return f"-P{hours // 24}D" if hours and hours % 24 == 0 else f"-PT{hours}H"


def _check_offsets(
    scope: Construct, start: Duration | None, end: Duration | None
) -> tuple[str | None, str | None]:
    rendered = _offset(scope, "start_time_offset", start), _offset(scope, "end_time_offset", end)
    if start is not None and end is not None and not is_token(start) and not is_token(end):
        require(
            start.to_seconds() > end.to_seconds(),
            scope,
            "start_time_offset",
            start,
            f"does not look further back than end_time_offset ({end.to_human_string()}), so "
            "the analysis window is empty",
            "make start_time_offset longer than end_time_offset, e.g. 8 days and 1 day",
        )
    return rendered
