"""Every job definition and its schedule, as synthesized: one stack with each kind.

The expected values restate what SageMaker documents for each kind (inputs, image, output,
cluster, network, stopping condition) and what the library promises (KMS everywhere, a
least-privilege role per job, names that let a changed definition replace itself).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cfnlint.api import lint

from constructs_lib.monitoring import ModelMonitor, MonitorSchedule, S3Location
from constructs_lib.monitoring._monitor_images import (
    CLARIFY_REGISTRY_ACCOUNTS,
    MODEL_MONITOR_REGISTRY_ACCOUNTS,
)

from .builders import (
    BUCKET,
    CAPTURE_PREFIX,
    Setup,
    child_id,
    data_quality,
    explainability,
    flat,
    logical_id,
    model_quality,
    monitored_stack,
    new_app,
    new_stack,
    setup,
)

MM_MAPPING = "SageMakerImageRegistrySagemakerModelMonitorAnalyzer"
CLARIFY_MAPPING = "SageMakerImageRegistrySagemakerClarifyProcessing"
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass
class Built:
    setup: Setup
    template: Template
    tpl: dict[str, Any]
    options: Setup
    options_tpl: dict[str, Any]
    regional_tpl: dict[str, Any]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    s = monitored_stack(app)
    options = setup(new_stack(app, "Options"))
    data_quality(
        options,
        "Daily",
        schedule=MonitorSchedule.daily(hour=3),
        max_runtime=cdk.Duration.hours(6),
        instance_type="ml.r5d.xlarge",
        instance_count=2,
        volume_size_gb=100,
        publish_metrics=False,
        schedule_name="churn-data-quality",
        output_prefix="/reports/churn/",
    )
    model_quality(options, "EverySixHours", schedule=MonitorSchedule.every_hours(6))
    data_quality(options, "Imported", endpoint="churn-prod")
    regional = monitored_stack(app, "Regional", region="eu-west-1")
    template = Template.from_stack(s.stack)
    return Built(
        s,
        template,
        dict(template.to_json()),
        options,
        dict(Template.from_stack(options.stack).to_json()),
        dict(Template.from_stack(regional.stack).to_json()),
    )


def monitor_at(s: Setup, construct_id: str) -> ModelMonitor:
    monitor = s.stack.node.find_child(construct_id)
    assert isinstance(monitor, ModelMonitor)
    return monitor


def props_of(tpl: dict[str, Any], logical: str) -> dict[str, Any]:
    return tpl["Resources"][logical]["Properties"]


def job_of(built: Built, kind: str, tpl: dict[str, Any] | None = None) -> dict[str, Any]:
    monitor = built.setup.monitors[kind]
    return props_of(tpl or built.tpl, child_id(monitor, "JobDefinition"))


def image(mapping: str, repository: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                {"Fn::FindInMap": [mapping, {"Ref": "AWS::Region"}, "account"]},
                ".dkr.ecr.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                f"/{repository}",
            ],
        ]
    }


def common_expectations(built: Built, kind: str, slug: str) -> dict[str, Any]:
    """What every kind's job definition holds: KMS, cluster, network, role, output."""
    monitor = built.setup.monitors[kind]
    endpoint = logical_id(built.setup.endpoint)
    return {
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": {"Fn::GetAtt": [child_id(monitor, "VolumeKey"), "Arn"]},
            }
        },
        "RoleArn": {"Fn::GetAtt": [logical_id(monitor.role), "Arn"]},
        "JobDefinitionName": monitor.job_definition_name,
        "_output": {
            "KmsKeyId": {"Fn::GetAtt": [logical_id(built.setup.key), "Arn"]},
            "MonitoringOutputs": [
                {
                    "S3Output": {
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "Continuous",
                        "S3Uri": {
                            "Fn::Join": [
                                "",
                                [
                                    f"s3://{BUCKET}/model-monitor/",
                                    {"Fn::GetAtt": [endpoint, "EndpointName"]},
                                    f"/{slug}",
                                ],
                            ]
                        },
                    }
                }
            ],
        },
        "_endpoint_input": {
            "EndpointName": {"Fn::GetAtt": [endpoint, "EndpointName"]},
            "LocalPath": "/opt/ml/processing/input/endpoint",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def test_data_quality_job_definition(built: Built) -> None:
    expected = common_expectations(built, "DataQuality", "data-quality")
    built.template.has_resource_properties(
        "AWS::SageMaker::DataQualityJobDefinition",
        {
            "JobDefinitionName": expected["JobDefinitionName"],
            "DataQualityAppSpecification": {
                "ImageUri": image(MM_MAPPING, "sagemaker-model-monitor-analyzer:latest"),
                "Environment": {"publish_cloudwatch_metrics": "Enabled"},
            },
            "DataQualityBaselineConfig": {
                "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/data/constraints.json"},
                "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/baseline/data/statistics.json"},
            },
            "DataQualityJobInput": {"EndpointInput": expected["_endpoint_input"]},
            "DataQualityJobOutputConfig": expected["_output"],
            "JobResources": expected["JobResources"],
            # Exactly these: no VPC configuration is rendered.
            "NetworkConfig": Match.object_equals(
                {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True}
            ),
            "RoleArn": expected["RoleArn"],
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    )


def test_model_quality_job_definition(built: Built) -> None:
    expected = common_expectations(built, "ModelQuality", "model-quality")
    built.template.has_resource_properties(
        "AWS::SageMaker::ModelQualityJobDefinition",
        {
            "JobDefinitionName": expected["JobDefinitionName"],
            "ModelQualityAppSpecification": {
                "ImageUri": image(MM_MAPPING, "sagemaker-model-monitor-analyzer:latest"),
                "ProblemType": "BinaryClassification",
                "Environment": {"publish_cloudwatch_metrics": "Enabled"},
            },
            "ModelQualityBaselineConfig": {
                "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/quality/constraints.json"}
            },
            "ModelQualityJobInput": {
                "EndpointInput": {
                    **expected["_endpoint_input"],
                    "InferenceAttribute": "0",
                    "ProbabilityAttribute": "1",
                    "ProbabilityThresholdAttribute": 0.5,
                    "StartTimeOffset": "-P8D",
                    "EndTimeOffset": "-P1D",
                },
                "GroundTruthS3Input": {"S3Uri": f"s3://{BUCKET}/ground-truth/churn"},
            },
            "ModelQualityJobOutputConfig": expected["_output"],
            "JobResources": expected["JobResources"],
            "NetworkConfig": {
                "EnableNetworkIsolation": True,
                "EnableInterContainerTrafficEncryption": True,
            },
            "RoleArn": expected["RoleArn"],
            # Hourly: the runtime is shared with the ground-truth merge job (1800 s at most).
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        },
    )


def test_model_bias_job_definition(built: Built) -> None:
    expected = common_expectations(built, "ModelBias", "model-bias")
    built.template.has_resource_properties(
        "AWS::SageMaker::ModelBiasJobDefinition",
        {
            "JobDefinitionName": expected["JobDefinitionName"],
            "ModelBiasAppSpecification": {
                "ImageUri": image(CLARIFY_MAPPING, "sagemaker-clarify-processing:1.0"),
                "ConfigUri": f"s3://{BUCKET}/clarify/bias.json",
                "Environment": {"publish_cloudwatch_metrics": "Enabled"},
            },
            "ModelBiasBaselineConfig": {
                "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/bias/constraints.json"}
            },
            "ModelBiasJobInput": {
                "EndpointInput": {
                    **expected["_endpoint_input"],
                    "ProbabilityThresholdAttribute": 0.8,
                },
                "GroundTruthS3Input": {"S3Uri": f"s3://{BUCKET}/ground-truth/churn"},
            },
            "ModelBiasJobOutputConfig": expected["_output"],
            "JobResources": expected["JobResources"],
            "NetworkConfig": {
                "EnableNetworkIsolation": True,
                "EnableInterContainerTrafficEncryption": True,
            },
            "RoleArn": expected["RoleArn"],
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        },
    )


def test_model_explainability_job_definition(built: Built) -> None:
    expected = common_expectations(built, "Explainability", "model-explainability")
    built.template.has_resource_properties(
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
        {
            "JobDefinitionName": expected["JobDefinitionName"],
            "ModelExplainabilityAppSpecification": {
                "ImageUri": image(CLARIFY_MAPPING, "sagemaker-clarify-processing:1.0"),
                "ConfigUri": f"s3://{BUCKET}/clarify/shap.json",
                "Environment": {"publish_cloudwatch_metrics": "Enabled"},
            },
            "ModelExplainabilityBaselineConfig": {
                "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/shap/constraints.json"}
            },
            "ModelExplainabilityJobInput": {"EndpointInput": expected["_endpoint_input"]},
            "ModelExplainabilityJobOutputConfig": expected["_output"],
            "JobResources": expected["JobResources"],
            # The shadow endpoint is called over the network: isolation is off, by choice.
            "NetworkConfig": {
                "EnableNetworkIsolation": False,
                "EnableInterContainerTrafficEncryption": True,
            },
            "RoleArn": expected["RoleArn"],
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    )


KINDS = {
    "DataQuality": "DataQuality",
    "ModelQuality": "ModelQuality",
    "ModelBias": "ModelBias",
    "Explainability": "ModelExplainability",
}


@pytest.mark.parametrize(("kind", "monitoring_type"), KINDS.items())
def test_each_schedule_runs_its_job_definition_hourly(
    built: Built, kind: str, monitoring_type: str
) -> None:
    monitor = built.setup.monitors[kind]
    schedule_id = child_id(monitor, "Schedule")
    job_id = child_id(monitor, "JobDefinition")
    schedule = built.tpl["Resources"][schedule_id]
    assert schedule["Type"] == "AWS::SageMaker::MonitoringSchedule"
    assert schedule["Properties"] == {
        "MonitoringScheduleName": monitor.schedule_name,
        "MonitoringScheduleConfig": {
            "MonitoringJobDefinitionName": monitor.job_definition_name,
            "MonitoringType": monitoring_type,
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        },
    }
    # Referred to by name, so the order is explicit: policy -> job definition -> schedule.
    assert job_id in schedule["DependsOn"]
    assert logical_id(monitor.policy) in built.tpl["Resources"][job_id]["DependsOn"]
    assert NAME.match(monitor.schedule_name) and NAME.match(monitor.job_definition_name)
    assert monitor.job_definition_name.startswith(monitor.schedule_name[:54])
    assert monitor.monitoring_type == monitoring_type


def test_one_of_each_per_monitor(built: Built) -> None:
    for cfn_type in (
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
        "AWS::SageMaker::ModelBiasJobDefinition",
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
    ):
        built.template.resource_count_is(cfn_type, 1)
    built.template.resource_count_is("AWS::SageMaker::MonitoringSchedule", 4)
    built.template.resource_count_is("AWS::IAM::Role", 5)  # the model's and one per monitor
    names = {m.schedule_name for m in built.setup.monitors.values()}
    assert len(names) == 4


def test_volume_keys_rotate_and_are_retained(built: Built) -> None:
    for monitor in built.setup.monitors.values():
        key = built.tpl["Resources"][child_id(monitor, "VolumeKey")]
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"


def test_images_resolve_per_region_from_the_sdk_tables(built: Built) -> None:
    mappings = built.tpl["Mappings"]
    assert mappings[MM_MAPPING] == {
        r: {"account": a} for r, a in MODEL_MONITOR_REGISTRY_ACCOUNTS.items()
    }
    assert mappings[CLARIFY_MAPPING] == {
        r: {"account": a} for r, a in CLARIFY_REGISTRY_ACCOUNTS.items()
    }
    # Spot checks against the SageMaker developer guide's table.
    assert MODEL_MONITOR_REGISTRY_ACCOUNTS["us-west-2"] == "159807026194"
    assert MODEL_MONITOR_REGISTRY_ACCOUNTS["us-east-1"] == "156813124566"
    for table in (MODEL_MONITOR_REGISTRY_ACCOUNTS, CLARIFY_REGISTRY_ACCOUNTS):
        assert all(re.fullmatch(r"\d{12}", a) for a in table.values())


def test_a_known_region_needs_no_mapping(built: Built) -> None:
    tpl = built.regional_tpl
    assert "Mappings" not in tpl
    images = sorted(
        flat(p["Properties"][f"{kind}AppSpecification"]["ImageUri"])
        for p in tpl["Resources"].values()
        for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
        if p["Type"] == f"AWS::SageMaker::{kind}JobDefinition"
    )
    mm = MODEL_MONITOR_REGISTRY_ACCOUNTS["eu-west-1"]
    clarify = CLARIFY_REGISTRY_ACCOUNTS["eu-west-1"]
    suffix = "dkr.ecr.<AWS::Region>.<AWS::URLSuffix>"
    assert images == sorted(
        [f"{mm}.{suffix}/sagemaker-model-monitor-analyzer:latest"] * 2
        + [f"{clarify}.{suffix}/sagemaker-clarify-processing:1.0"] * 2
    )


def test_options_reach_the_job_definition(built: Built) -> None:
    daily = monitor_at(built.options, "Daily")
    props = props_of(built.options_tpl, child_id(daily, "JobDefinition"))
    # Local NVMe storage: SageMaker encrypts it in hardware and refuses a volume key.
    assert props["JobResources"] == {
        "ClusterConfig": {
            "InstanceCount": 2,
            "InstanceType": "ml.r5d.xlarge",
            "VolumeSizeInGB": 100,
        }
    }
    assert daily.node.try_find_child("VolumeKey") is None
    assert props["StoppingCondition"] == {"MaxRuntimeInSeconds": 6 * 3600}
    assert props["DataQualityAppSpecification"]["Environment"] == {
        "publish_cloudwatch_metrics": "Disabled"
    }
    output = props["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    assert output["S3Uri"] == f"s3://{BUCKET}/reports/churn"
    schedule = props_of(built.options_tpl, child_id(daily, "Schedule"))
    assert schedule["MonitoringScheduleName"] == "churn-data-quality"
    assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "cron(0 3 ? * * *)"
    }


def test_a_six_hourly_model_quality_job_may_run_three_hours(built: Built) -> None:
    monitor = monitor_at(built.options, "EverySixHours")
    props = props_of(built.options_tpl, child_id(monitor, "JobDefinition"))
    assert props["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}  # the default
    assert monitor.schedule.expression == "cron(0 0/6 ? * * *)"


def test_an_endpoint_given_by_name_is_imported(built: Built) -> None:
    monitor = monitor_at(built.options, "Imported")
    props = props_of(built.options_tpl, child_id(monitor, "JobDefinition"))
    assert props["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "churn-prod"
    assert monitor.endpoint.endpoint_name == "churn-prod"
    assert monitor.output_s3_uri == f"s3://{BUCKET}/model-monitor/churn-prod/data-quality"
    policy = props_of(built.options_tpl, logical_id(monitor.policy))
    resources = [flat(s["Resource"]) for s in policy["PolicyDocument"]["Statement"]]
    assert any(f"s3:::{BUCKET}/{CAPTURE_PREFIX}/churn-prod/*" in str(r) for r in resources), (
        resources
    )


def _job_definition_name(**kwargs: Any) -> tuple[str, str]:
    app = new_app()
    s = setup(new_stack(app))
    monitor = data_quality(s, **kwargs)
    Template.from_stack(s.stack)  # the name is fixed at synth like everything else
    return monitor.schedule_name, monitor.job_definition_name


def test_a_changed_definition_gets_a_new_name_and_the_schedule_keeps_its_own() -> None:
    # Every job-definition property is create-only: a change replaces the resource, which a
    # fixed name would make collide with itself. The schedule is updated in place.
    first = _job_definition_name()
    again = _job_definition_name()
    bigger = _job_definition_name(instance_type="ml.m5.2xlarge")
    assert first == again
    assert bigger[0] == first[0]
    assert bigger[1] != first[1]


def test_metrics_name_the_endpoint_and_the_schedule(built: Built) -> None:
    dq = built.setup.monitors["DataQuality"]
    stack = built.setup.stack
    metric = dq.metric_feature_baseline_drift("tenure")  # type: ignore[attr-defined]
    assert metric.namespace == "aws/sagemaker/Endpoints/data-metrics"
    assert metric.metric_name == "feature_baseline_drift_tenure"
    assert metric.statistic == "Maximum"
    assert metric.period.to_seconds() == 3600
    assert stack.resolve(metric.dimensions) == {
        "Endpoint": {"Fn::GetAtt": [logical_id(built.setup.endpoint), "EndpointName"]},
        "MonitoringSchedule": dq.schedule_name,
    }
    namespaces = {k: m.metrics_namespace for k, m in built.setup.monitors.items()}
    assert namespaces == {
        "DataQuality": "aws/sagemaker/Endpoints/data-metrics",
        "ModelQuality": "aws/sagemaker/Endpoints/model-metrics",
        "ModelBias": "aws/sagemaker/Endpoints/bias-metrics",
        "Explainability": "aws/sagemaker/Endpoints/explainability-metrics",
    }
    bias = built.setup.monitors["ModelBias"].metric(
        "bias_metric_CI", dimensions={"BiasStage": "Pre-training"}
    )
    assert set(stack.resolve(bias.dimensions)) == {"Endpoint", "MonitoringSchedule", "BiasStage"}


def test_assets_can_hold_baselines_and_analysis_configs(tmp_path: Any) -> None:
    config = tmp_path / "analysis_config.json"
    config.write_text('{"methods": {"shap": {"num_samples": 10}}}')
    s = setup(new_stack())
    monitor = explainability(s, analysis_config=S3Location.from_asset(str(config)))
    props = Template.from_stack(s.stack).find_resources(
        "AWS::SageMaker::ModelExplainabilityJobDefinition"
    )
    (job,) = props.values()
    uri = flat(job["Properties"]["ModelExplainabilityAppSpecification"]["ConfigUri"])
    pattern = r"s3://cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>/[0-9a-f]{64}\.json"
    assert re.fullmatch(pattern, uri), uri
    assert monitor.node.try_find_child("AnalysisConfigAsset") is not None


def test_the_option_variants_pass_cfn_lint(built: Built) -> None:
    # cfn-lint also knows the processing instance types of each region.
    matches = lint(json.dumps(built.options_tpl), regions=["us-east-1", "eu-west-1"])
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def test_monitor_props_list_every_prop_of_the_shared_base() -> None:
    # The kinds take the shared props through MonitorProps: it must not drift from the base.
    import inspect
    from typing import get_type_hints

    from constructs_lib.monitoring import MonitorProps

    base = inspect.signature(ModelMonitor.__init__).parameters
    keyword_only = {n for n, p in base.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(get_type_hints(MonitorProps)) == keyword_only
    assert MonitorProps.__required_keys__ == {
        n for n in keyword_only if base[n].default is base[n].empty
    }
