"""Endpoint: variants, shadow/serverless/async, data capture, keys, retention, grants, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    AsyncInference,
    DataCapture,
    Endpoint,
    IEndpoint,
    Model,
    ServerlessConfig,
)

from .builders import (
    BUCKET_NAME,
    artifact_bucket,
    as_list,
    assert_names,
    flat,
    get_att,
    new_app,
    new_model,
    new_stack,
    policy_statements,
    ref,
    statements_with,
    variant,
)

USER_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CONFIG = "AWS::SageMaker::EndpointConfig"
ENDPOINT = "AWS::SageMaker::Endpoint"
KMS_KEY = "AWS::KMS::Key"
INVOKE_ACTIONS = [
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointAsync",
    "sagemaker:InvokeEndpointWithResponseStream",
]


@dataclass
class Case:
    """One synthesized endpoint stack: one EndpointConfig, one Endpoint."""

    template: Template
    endpoint: Endpoint
    models: list[Model]

    def statements(self, index: int = 0) -> list[dict[str, Any]]:
        return policy_statements(self.template, self.models[index])


@dataclass
class Built:
    ab: Case
    invoker: iam.Role
    shadow: Case
    capture_key: kms.Key
    serverless: Case
    async_: Case
    success_topic: sns.Topic
    error_topic: sns.Topic
    topic_key: kms.Key
    user_key: Case
    no_retain: Case
    named: Case
    nvme: Case
    root_capture: Case


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()

    # A/B: two weighted variants, data capture, invoke grants.
    ab_stack = new_stack(app, "AB")
    champion = new_model(ab_stack, "Champion")
    challenger = new_model(ab_stack, "Challenger", data_key="models/churn/v2/model.tar.gz")
    ab = Endpoint(
        ab_stack,
        "Endpoint",
        variants=[
            variant("champion", champion, initial_weight=0.8, initial_instance_count=2),
            variant("challenger", challenger, initial_weight=0.2, instance_type="ml.c5.xlarge"),
        ],
        data_capture=DataCapture(
            bucket=artifact_bucket(ab_stack), prefix="/capture/churn/", sampling_percentage=25
        ),
    )
    invoker = iam.Role(ab_stack, "Invoker", assumed_by=iam.AccountRootPrincipal())
    ab.grant_invoke(invoker)

    # Shadow variant; input-only capture encrypted with its own key.
    shadow_stack = new_stack(app, "Shadow")
    prod, candidate = new_model(shadow_stack, "Prod"), new_model(shadow_stack, "Candidate")
    capture_key = kms.Key(shadow_stack, "CaptureKey", enable_key_rotation=True)
    shadow = Endpoint(
        shadow_stack,
        "Endpoint",
        variants=[variant("prod", prod)],
        shadow_variant=variant("candidate", candidate, initial_weight=0.5),
        data_capture=DataCapture(
            bucket=artifact_bucket(shadow_stack), capture_output=False, encryption_key=capture_key
        ),
    )

    # Serverless.
    serverless_stack = new_stack(app, "Serverless")
    serverless_model = new_model(serverless_stack, "Model")
    serverless = Endpoint(
        serverless_stack,
        "Endpoint",
        variants=[
            variant(
                "main",
                serverless_model,
                serverless=ServerlessConfig(
                    memory_size_mb=4096, max_concurrency=50, provisioned_concurrency=5
                ),
            )
        ],
    )

    # Async with notifications, one topic encrypted.
    async_stack = new_stack(app, "Async")
    async_model = new_model(async_stack, "Model")
    topic_key = kms.Key(async_stack, "TopicKey", enable_key_rotation=True)
    success_topic = sns.Topic(async_stack, "Success", master_key=topic_key)
    error_topic = sns.Topic(async_stack, "Errors")
    async_ = Endpoint(
        async_stack,
        "Endpoint",
        variants=[variant("main", async_model)],
        async_inference=AsyncInference(
            output_bucket=artifact_bucket(async_stack),
            success_topic=success_topic,
            error_topic=error_topic,
            max_concurrent_invocations_per_instance=4,
        ),
    )

    # A user-supplied volume key.
    user_key_stack = new_stack(app, "UserKey")
    user_key_model = new_model(user_key_stack, "Model")
    user_key = Endpoint(
        user_key_stack,
        "Endpoint",
        variants=[variant("main", user_key_model)],
        encryption_key=kms.Key.from_key_arn(user_key_stack, "VolumeKey", USER_KEY_ARN),
    )

    # Instance counts not retained.
    no_retain_stack = new_stack(app, "NoRetain")
    no_retain_model = new_model(no_retain_stack, "Model")
    no_retain = Endpoint(
        no_retain_stack,
        "Endpoint",
        variants=[variant("main", no_retain_model)],
        retain_instance_counts=False,
    )

    # A fixed endpoint name.
    named_stack = new_stack(app, "Named")
    named_model = new_model(named_stack, "Model")
    named = Endpoint(
        named_stack, "Endpoint", variants=[variant("main", named_model)], endpoint_name="churn"
    )

    # A local-NVMe instance type: no volume key.
    nvme_stack = new_stack(app, "Nvme")
    nvme_model = new_model(nvme_stack, "Model")
    nvme = Endpoint(
        nvme_stack, "Endpoint", variants=[variant("main", nvme_model, instance_type="ml.g5.xlarge")]
    )

    # Capture at the bucket's root.
    root_stack = new_stack(app, "RootCapture")
    root_model = new_model(root_stack, "Model")
    root_capture = Endpoint(
        root_stack,
        "Endpoint",
        variants=[variant("main", root_model)],
        data_capture=DataCapture(bucket=artifact_bucket(root_stack), prefix=""),
    )

    return Built(
        ab=Case(Template.from_stack(ab_stack), ab, [champion, challenger]),
        invoker=invoker,
        shadow=Case(Template.from_stack(shadow_stack), shadow, [prod, candidate]),
        capture_key=capture_key,
        serverless=Case(Template.from_stack(serverless_stack), serverless, [serverless_model]),
        async_=Case(Template.from_stack(async_stack), async_, [async_model]),
        success_topic=success_topic,
        error_topic=error_topic,
        topic_key=topic_key,
        user_key=Case(Template.from_stack(user_key_stack), user_key, [user_key_model]),
        no_retain=Case(Template.from_stack(no_retain_stack), no_retain, [no_retain_model]),
        named=Case(Template.from_stack(named_stack), named, [named_model]),
        nvme=Case(Template.from_stack(nvme_stack), nvme, [nvme_model]),
        root_capture=Case(Template.from_stack(root_stack), root_capture, [root_model]),
    )


def all_cases(built: Built) -> list[Case]:
    return [
        built.ab,
        built.shadow,
        built.serverless,
        built.async_,
        built.user_key,
        built.no_retain,
        built.named,
        built.nvme,
        built.root_capture,
    ]


# -- variants ----------------------------------------------------------------------------


def test_ab_variants_carry_their_weights_models_and_capacity(built: Built) -> None:
    built.ab.template.has_resource_properties(
        CONFIG,
        {
            "ProductionVariants": Match.array_equals(
                [
                    {
                        "VariantName": "champion",
                        "ModelName": get_att(built.ab.models[0], "ModelName"),
                        "InitialVariantWeight": 0.8,
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 2,
                    },
                    {
                        "VariantName": "challenger",
                        "ModelName": get_att(built.ab.models[1], "ModelName"),
                        "InitialVariantWeight": 0.2,
                        "InstanceType": "ml.c5.xlarge",
                        "InitialInstanceCount": 1,
                    },
                ]
            )
        },
    )
    assert built.ab.endpoint.variant_names == ["champion", "challenger"]


def test_shadow_variant_is_rendered_as_shadow_production_variant(built: Built) -> None:
    built.shadow.template.has_resource_properties(
        CONFIG,
        {
            "ProductionVariants": [{"VariantName": "prod"}],
            "ShadowProductionVariants": [
                {
                    "VariantName": "candidate",
                    "ModelName": get_att(built.shadow.models[1], "ModelName"),
                    "InitialVariantWeight": 0.5,
                }
            ],
        },
    )
    assert built.shadow.endpoint.shadow_variant is not None
    assert built.shadow.endpoint.shadow_variant.is_shadow
    built.ab.template.has_resource_properties(CONFIG, {"ShadowProductionVariants": Match.absent()})


def test_serverless_variant_has_no_instances_and_no_volume_key(built: Built) -> None:
    built.serverless.template.has_resource_properties(
        CONFIG,
        {
            "ProductionVariants": [
                {
                    "ServerlessConfig": Match.object_equals(
                        {"MemorySizeInMB": 4096, "MaxConcurrency": 50, "ProvisionedConcurrency": 5}
                    ),
                    "InstanceType": Match.absent(),
                    "InitialInstanceCount": Match.absent(),
                }
            ],
            "KmsKeyId": Match.absent(),
        },
    )
    built.serverless.template.resource_count_is(KMS_KEY, 0)
    assert built.serverless.endpoint.variants[0].is_serverless


def test_serverless_endpoint_has_no_deployment_guardrails(built: Built) -> None:
    # "Deployment guardrails only apply to Asynchronous inference and Real-time inference
    # endpoint types": a serverless endpoint gets no DeploymentConfig at all.
    built.serverless.template.has_resource_properties(
        ENDPOINT, {"DeploymentConfig": Match.absent()}
    )
    assert built.serverless.endpoint.deployment_policy is None


# -- async inference ---------------------------------------------------------------------


def test_async_config_renders_output_notifications_and_client(built: Built) -> None:
    built.async_.template.has_resource_properties(
        CONFIG,
        {
            "AsyncInferenceConfig": {
                "OutputConfig": {
                    "S3OutputPath": f"s3://{BUCKET_NAME}/async-output",
                    "S3FailurePath": f"s3://{BUCKET_NAME}/async-failures",
                    "NotificationConfig": Match.object_equals(
                        {
                            "SuccessTopic": ref(built.success_topic),
                            "ErrorTopic": ref(built.error_topic),
                        }
                    ),
                    "KmsKeyId": Match.absent(),
                },
                "ClientConfig": Match.object_equals({"MaxConcurrentInvocationsPerInstance": 4}),
            }
        },
    )
    assert built.async_.endpoint.is_async


def test_async_model_role_may_publish_and_write_results(built: Built) -> None:
    statements = built.async_.statements()
    published = [
        flat(r) for s in statements_with(statements, "sns:Publish") for r in as_list(s["Resource"])
    ]
    assert sorted(published) == sorted(
        [flat(ref(built.success_topic)), flat(ref(built.error_topic))]
    )
    writes = {
        flat(r) for s in statements_with(statements, "s3:PutObject") for r in as_list(s["Resource"])
    }
    assert writes == {
        f"arn:<AWS::Partition>:s3:::{BUCKET_NAME}/async-output/*",
        f"arn:<AWS::Partition>:s3:::{BUCKET_NAME}/async-failures/*",
    }
    # The encrypted topic's key: the SNS guide has publishers allow kms:GenerateDataKey*
    # and kms:Decrypt on it (CDK's grant_publish does exactly that).
    (key_use,) = statements_with(statements, "kms:GenerateDataKey*")
    assert set(key_use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert key_use["Resource"] == get_att(built.topic_key, "Arn")


# -- data capture ------------------------------------------------------------------------


def test_data_capture_config(built: Built) -> None:
    built.ab.template.has_resource_properties(
        CONFIG,
        {
            "DataCaptureConfig": Match.object_equals(
                {
                    "EnableCapture": True,
                    "InitialSamplingPercentage": 25,
                    "DestinationS3Uri": f"s3://{BUCKET_NAME}/capture/churn",
                    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                    "CaptureContentTypeHeader": {
                        "JsonContentTypes": ["application/json"],
                        "CsvContentTypes": ["text/csv"],
                    },
                }
            )
        },
    )


def test_data_capture_write_is_granted_under_the_prefix_to_every_model(built: Built) -> None:
    for index in (0, 1):
        (write,) = statements_with(built.ab.statements(index), "s3:PutObject")
        assert flat(write["Resource"]) == f"arn:<AWS::Partition>:s3:::{BUCKET_NAME}/capture/churn/*"
        assert write["Action"] == "s3:PutObject"


def test_data_capture_at_the_bucket_root_grants_the_whole_bucket(built: Built) -> None:
    built.root_capture.template.has_resource_properties(
        CONFIG, {"DataCaptureConfig": {"DestinationS3Uri": f"s3://{BUCKET_NAME}/"}}
    )
    (write,) = statements_with(built.root_capture.statements(), "s3:PutObject")
    assert flat(write["Resource"]) == f"arn:<AWS::Partition>:s3:::{BUCKET_NAME}/*"


def test_data_capture_input_only_with_its_own_key(built: Built) -> None:
    key = built.capture_key
    built.shadow.template.has_resource_properties(
        CONFIG,
        {
            "DataCaptureConfig": {
                "CaptureOptions": Match.array_equals([{"CaptureMode": "Input"}]),
                "DestinationS3Uri": f"s3://{BUCKET_NAME}/data-capture",
                "InitialSamplingPercentage": 20,
                "KmsKeyId": get_att(key, "Arn"),
            }
        },
    )
    # Production and shadow models both write captures and may encrypt them.
    for index in (0, 1):
        statements = built.shadow.statements(index)
        assert statements_with(statements, "s3:PutObject")
        (encrypt,) = statements_with(statements, "kms:GenerateDataKey")
        assert set(encrypt["Action"]) == {"kms:Encrypt", "kms:GenerateDataKey"}
        assert encrypt["Resource"] == get_att(key, "Arn")


# -- volume encryption -------------------------------------------------------------------


def test_volume_key_is_created_with_rotation_and_retained(built: Built) -> None:
    template = built.ab.template
    template.resource_count_is(KMS_KEY, 1)
    key_id = template.get_resource_id(
        KMS_KEY,
        {
            "Properties": {"EnableKeyRotation": True},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    template.has_resource_properties(CONFIG, {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    assert built.ab.endpoint.encryption_key is not None


def test_user_volume_key_is_passed_through(built: Built) -> None:
    built.user_key.template.has_resource_properties(CONFIG, {"KmsKeyId": USER_KEY_ARN})
    built.user_key.template.resource_count_is(KMS_KEY, 0)


def test_local_nvme_instance_gets_no_volume_key(built: Built) -> None:
    built.nvme.template.has_resource_properties(CONFIG, {"KmsKeyId": Match.absent()})
    built.nvme.template.resource_count_is(KMS_KEY, 0)
    assert built.nvme.endpoint.encryption_key is None


# -- names and retention -----------------------------------------------------------------


def test_config_has_no_fixed_name_and_endpoint_points_at_it(built: Built) -> None:
    for case in all_cases(built):
        case.template.resource_count_is(CONFIG, 1)
        case.template.resource_count_is(ENDPOINT, 1)
        config_id = case.template.get_resource_id(
            CONFIG, {"Properties": {"EndpointConfigName": Match.absent()}}
        )
        case.template.has_resource_properties(
            ENDPOINT, {"EndpointConfigName": {"Fn::GetAtt": [config_id, "EndpointConfigName"]}}
        )


def test_endpoint_name_is_generated_unless_given(built: Built) -> None:
    built.ab.template.has_resource_properties(ENDPOINT, {"EndpointName": Match.absent()})
    built.named.template.has_resource_properties(ENDPOINT, {"EndpointName": "churn"})


def test_variant_properties_are_retained_except_weights_by_default(built: Built) -> None:
    for case in all_cases(built):
        if case is built.no_retain:
            continue
        case.template.has_resource_properties(
            ENDPOINT,
            {
                "RetainAllVariantProperties": True,
                "ExcludeRetainedVariantProperties": Match.array_equals(
                    [{"VariantPropertyType": "DesiredWeight"}]
                ),
            },
        )


def test_variant_properties_are_not_retained_when_told(built: Built) -> None:
    built.no_retain.template.has_resource_properties(
        ENDPOINT,
        {
            "RetainAllVariantProperties": Match.absent(),
            "ExcludeRetainedVariantProperties": Match.absent(),
        },
    )


# -- grants ------------------------------------------------------------------------------


def test_grant_invoke_allows_all_invoke_apis_on_the_endpoint_arn(built: Built) -> None:
    template = built.ab.template
    # One policy on the invoker's role, with one statement: nothing else is granted.
    template.resource_properties_count_is(
        "AWS::IAM::Policy", {"Roles": Match.array_with([ref(built.invoker)])}, 1
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": Match.array_with([ref(built.invoker)]),
            "PolicyDocument": {
                "Statement": Match.array_equals(
                    [
                        {
                            "Action": INVOKE_ACTIONS,
                            "Effect": "Allow",
                            "Resource": get_att(built.ab.endpoint, "EndpointArn"),
                        }
                    ]
                )
            },
        },
    )


def test_endpoint_arn_is_the_arn_sagemaker_reports(built: Built) -> None:
    stack = cdk.Stack.of(built.ab.endpoint)
    assert stack.resolve(built.ab.endpoint.endpoint_arn) == get_att(
        built.ab.endpoint, "EndpointArn"
    )
    assert stack.resolve(built.ab.endpoint.endpoint_name) == get_att(
        built.ab.endpoint, "EndpointName"
    )


# -- metrics -----------------------------------------------------------------------------


def dimensions(metric: Any, endpoint: Endpoint) -> Any:
    return cdk.Stack.of(endpoint).resolve(metric.dimensions)


@pytest.mark.parametrize(
    ("method", "metric_name", "namespace", "statistic"),
    [
        ("invocations", "Invocations", "AWS/SageMaker", "Sum"),
        ("invocations_per_instance", "InvocationsPerInstance", "AWS/SageMaker", "Sum"),
        ("model_latency", "ModelLatency", "AWS/SageMaker", "Average"),
        ("overhead_latency", "OverheadLatency", "AWS/SageMaker", "Average"),
        ("invocation_4xx_errors", "Invocation4XXErrors", "AWS/SageMaker", "Sum"),
        ("invocation_5xx_errors", "Invocation5XXErrors", "AWS/SageMaker", "Sum"),
        ("invocation_model_errors", "InvocationModelErrors", "AWS/SageMaker", "Sum"),
        ("model_setup_time", "ModelSetupTime", "AWS/SageMaker", "Average"),
        ("cpu_utilization", "CPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("memory_utilization", "MemoryUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("disk_utilization", "DiskUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("gpu_utilization", "GPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
        (
            "gpu_memory_utilization",
            "GPUMemoryUtilization",
            "/aws/sagemaker/Endpoints",
            "Average",
        ),
    ],
)
def test_variant_metrics(
    built: Built, method: str, metric_name: str, namespace: str, statistic: str
) -> None:
    endpoint = built.ab.endpoint
    metric = getattr(endpoint.find_variant("challenger").metrics, method)()
    assert metric.metric_name == metric_name
    assert metric.namespace == namespace
    assert metric.statistic == statistic
    assert metric.period.to_seconds() == 60
    assert dimensions(metric, endpoint) == {
        "EndpointName": get_att(endpoint, "EndpointName"),
        "VariantName": "challenger",
    }


def test_variant_metric_statistic_and_period_can_be_overridden(built: Built) -> None:
    variant_ = built.ab.endpoint.find_variant("champion")
    latency = variant_.metrics.model_latency(statistic="p99", period=cdk.Duration.minutes(5))
    assert latency.statistic == "p99"
    assert latency.period.to_seconds() == 300
    assert variant_.metrics.invocations(statistic="Average").statistic == "Average"


@pytest.mark.parametrize(
    ("method", "metric_name", "statistic"),
    [
        ("approximate_backlog_size", "ApproximateBacklogSize", "Average"),
        ("approximate_backlog_size_per_instance", "ApproximateBacklogSizePerInstance", "Average"),
        ("approximate_age_of_oldest_request", "ApproximateAgeOfOldestRequest", "Maximum"),
        ("has_backlog_without_capacity", "HasBacklogWithoutCapacity", "Average"),
    ],
)
def test_endpoint_metrics_have_only_the_endpoint_dimension(
    built: Built, method: str, metric_name: str, statistic: str
) -> None:
    endpoint = built.async_.endpoint
    metric = getattr(endpoint.metrics, method)()
    assert metric.metric_name == metric_name
    assert metric.namespace == "AWS/SageMaker"
    assert metric.statistic == statistic
    assert dimensions(metric, endpoint) == {"EndpointName": get_att(endpoint, "EndpointName")}


# -- find_variant ------------------------------------------------------------------------


def test_find_variant_finds_production_and_shadow_variants(built: Built) -> None:
    challenger = built.ab.endpoint.find_variant("challenger")
    assert challenger.variant_name == "challenger"
    assert challenger.instance_type == "ml.c5.xlarge"
    assert challenger.initial_instance_count == 1
    assert not challenger.is_serverless and not challenger.is_shadow
    assert built.shadow.endpoint.find_variant("candidate").is_shadow


def test_find_variant_refuses_an_unknown_name(built: Built) -> None:
    with pytest.raises(InvalidPropsError, match="is not a variant of this endpoint") as info:
        built.ab.endpoint.find_variant("champ")
    assert_names(info.value, "AB/Endpoint", "champ")


# -- imports and the IEndpoint contract -----------------------------------------------------


def test_imported_endpoints_offer_metrics_and_grants_like_owned_ones() -> None:
    stack = new_stack(region="eu-west-1")
    by_name = Endpoint.from_endpoint_name(stack, "ByName", "Churn-Prod")
    by_arn = Endpoint.from_endpoint_arn(
        stack, "ByArn", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud"
    )
    assert isinstance(by_name, IEndpoint) and isinstance(by_arn, IEndpoint)
    assert (by_name.fixed_name, by_arn.fixed_name) == ("Churn-Prod", "fraud")
    assert by_arn.endpoint_arn == "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud"
    latency = by_name.metrics.variant("champion").model_latency(statistic="p99")
    assert latency.dimensions == {"EndpointName": "Churn-Prod", "VariantName": "champion"}
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    by_name.grant_invoke(role)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 1)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                # SageMaker lower-cases endpoint names in its ARNs.
                "Statement": [
                    {"Resource": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-prod"}
                ]
            }
        },
    )


def test_imports_refuse_bad_names_and_arns() -> None:
    stack = new_stack()
    with pytest.raises(InvalidPropsError, match="endpoint_name='churn_prod'"):
        Endpoint.from_endpoint_name(stack, "Bad", "churn_prod")
    with pytest.raises(InvalidPropsError, match="is not a SageMaker endpoint ARN"):
        Endpoint.from_endpoint_arn(stack, "BadArn", "arn:aws:sagemaker:eu-west-1:1:model/x")


def test_an_endpoint_says_whether_its_name_is_fixed(built: Built) -> None:
    assert isinstance(built.ab.endpoint, IEndpoint)
    assert built.ab.endpoint.fixed_name is None  # generated by CloudFormation
    stack = new_stack()
    named = Endpoint(
        stack, "Named", endpoint_name="churn", variants=[variant("m", new_model(stack))]
    )
    assert named.fixed_name == "churn"
