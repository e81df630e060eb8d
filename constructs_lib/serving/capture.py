"""Where an endpoint writes to S3: captured requests and responses, and async results.

:class:`DataCapture` captures a sample of an instance-backed endpoint's requests and
responses (the drift detector and Model Monitor read them); :class:`AsyncInference` makes
the endpoint asynchronous, its results landing in S3. Both grant every variant's model role
exactly what SageMaker needs to write there: ``s3:PutObject`` under the prefix, the key's
data-key permissions, and publishing to the async notification topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import IConstruct

from constructs_lib.core import acknowledge, check_range, require
from constructs_lib.serving.model import IModel, Model

__all__ = ["AsyncInference", "DataCapture"]


@dataclass(frozen=True)
class DataCapture:
    """Capture requests and responses to S3 (the drift detector and monitors read them).

    Every variant's model role is allowed to write under ``prefix`` in ``bucket``.

    :param bucket: the destination bucket.
    :param prefix: key prefix of the captured files. Default: ``data-capture``.
    :param sampling_percentage: share of requests captured, 0-100. Default: 20.
    :param capture_input: capture request payloads. Default: True.
    :param capture_output: capture response payloads. Default: True.
    :param encryption_key: key that encrypts the captured files. Default: the bucket's key,
        if any.
    :param json_content_types: content types captured as JSON. Default: application/json.
    :param csv_content_types: content types captured as CSV. Default: text/csv.
    """

    bucket: s3.IBucket
    prefix: str = "data-capture"
    sampling_percentage: int = 20
    capture_input: bool = True
    capture_output: bool = True
    encryption_key: kms.IKey | None = None
    json_content_types: Sequence[str] = ("application/json",)
    csv_content_types: Sequence[str] = ("text/csv",)

    def _render(
        self, scope: IConstruct, models: Sequence[IModel]
    ) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
        check_range(
            scope,
            "data_capture.sampling_percentage",
            self.sampling_percentage,
            0,
            100,
            integer=True,
        )
        require(
            self.capture_input or self.capture_output,
            scope,
            "data_capture",
            "capture_input=False, capture_output=False",
            "captures nothing",
            "enable capture_input, capture_output or both (or drop data_capture)",
        )
        prefix = self.prefix.strip("/")
        _grant_write(models, self.bucket, prefix, self.encryption_key or self.bucket.encryption_key)
        options = [
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=mode)
            for mode, on in (("Input", self.capture_input), ("Output", self.capture_output))
            if on
        ]
        header = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
            json_content_types=list(self.json_content_types) or None,
            csv_content_types=list(self.csv_content_types) or None,
        )
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=self.sampling_percentage,
            destination_s3_uri=self.bucket.s3_url_for_object(prefix),
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            capture_options=options,
            capture_content_type_header=header,
        )


@dataclass(frozen=True)
class AsyncInference:
    """Make the endpoint asynchronous: requests queue, results land in S3.

    An async endpoint accepts only ``InvokeEndpointAsync`` and cannot become real-time
    again without a new endpoint.

    :param output_bucket: bucket for results (and failures).
    :param output_prefix: key prefix of results. Default: ``async-output``.
    :param failure_prefix: key prefix of failure reports. Default: ``async-failures``.
    :param success_topic: SNS topic told of each success. Default: none.
    :param error_topic: SNS topic told of each failure. Default: none.
    :param encryption_key: key that encrypts the results. Default: the bucket's key, if any.
    :param max_concurrent_invocations_per_instance: 1-1000. Default: SageMaker's choice.
    """

    output_bucket: s3.IBucket
    output_prefix: str = "async-output"
    failure_prefix: str | None = "async-failures"
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    encryption_key: kms.IKey | None = None
    max_concurrent_invocations_per_instance: int | None = None

    def _render(
        self, scope: IConstruct, models: Sequence[IModel]
    ) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty:
        check_range(
            scope,
            "async_inference.max_concurrent_invocations_per_instance",
            self.max_concurrent_invocations_per_instance,
            1,
            1000,
            integer=True,
        )
        bucket = self.output_bucket
        out_prefix = self.output_prefix.strip("/")
        _grant_write(models, bucket, out_prefix, self.encryption_key or bucket.encryption_key)
        fail_prefix = self.failure_prefix.strip("/") if self.failure_prefix else None
        if fail_prefix is not None and fail_prefix != out_prefix:
            _grant_write(models, bucket, fail_prefix, None)
        return sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                s3_output_path=bucket.s3_url_for_object(out_prefix),
                s3_failure_path=bucket.s3_url_for_object(fail_prefix) if fail_prefix else None,
                kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
                notification_config=self._render_notifications(models),
            ),
            client_config=(
                sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=self.max_concurrent_invocations_per_instance
                )
                if self.max_concurrent_invocations_per_instance is not None
                else None
            ),
        )

    def _render_notifications(
        self, models: Sequence[IModel]
    ) -> sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty | None:
        topics = [t for t in (self.success_topic, self.error_topic) if t is not None]
        for topic in topics:
            for model in models:
                # SageMaker publishes with the model's role. For an encrypted topic, CDK's
                # grant_publish adds kms:Decrypt and kms:GenerateDataKey* on its key, as the
                # SNS guide asks of publishers to encrypted topics.
                topic.grant_publish(grantee_of(model))
                if topic.master_key is not None and isinstance(model, Model):
                    acknowledge(
                        model.policy,
                        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                        "Publishing to an SSE-KMS topic needs kms:GenerateDataKey* on its key "
                        "(SNS developer guide); the grant is limited to that one key.",
                    )
        if not topics:
            return None
        return sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
            success_topic=self.success_topic.topic_arn if self.success_topic else None,
            error_topic=self.error_topic.topic_arn if self.error_topic else None,
        )


def grantee_of(model: IModel) -> iam.IGrantable:
    """Where grants to a model's role land: its managed policy for a :class:`Model`."""
    return model.policy_grantee if isinstance(model, Model) else model


def _grant_write(
    models: Sequence[IModel], bucket: s3.IBucket, prefix: str, key: kms.IKey | None
) -> None:
    # An empty prefix (the bucket's root) must grant "bucket/*", not "bucket//*".
    resource = bucket.arn_for_objects(f"{prefix}/*" if prefix else "*")
    for model in models:
        # s3:PutObject alone: CDK's bucket.grant_put adds tagging, retention and legal-hold
        # writes SageMaker does not need.
        iam.Grant.add_to_principal(
            grantee=grantee_of(model), actions=["s3:PutObject"], resource_arns=[resource]
        )
        if isinstance(model, Model):
            model._acknowledge_wildcard_resource(
                resource,
                "SageMaker names the objects it writes under this prefix at run time (endpoint, "
                "variant, date, inference id); the grant is write-only and limited to the prefix.",
            )
        if key is not None:
            # S3 server-side encryption with a KMS key calls GenerateDataKey for each object.
            key.grant(grantee_of(model), "kms:Encrypt", "kms:GenerateDataKey")
