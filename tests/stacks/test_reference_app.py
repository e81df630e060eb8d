"""The reference app on its embedded default config: shape, snapshots, compliance, cfn-lint."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, cx_api
from aws_cdk.assertions import Match, Template
from cfnlint.api import lint
from syrupy.extensions.json import JSONSnapshotExtension

from constructs_lib.compliance import unacknowledged_findings
from stacks import load_config
from stacks.app import stack_name
from tests.iam_checks import Place, image_pull_problems

CONFIG = load_config()
STACKS = [stack_name(CONFIG.project, env) for env in CONFIG.environments]
# Regions with SageMaker real-time and serverless inference, checked by cfn-lint.
LINT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def _template(assembly: cx_api.CloudAssembly, name: str) -> dict[str, Any]:
    return assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]


def _scrub(value: Any) -> Any:
    """Replace asset hashes (content-derived, they change with the model artifact)."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(value, sort_keys=True)))


@pytest.fixture
def snapshot_json(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(JSONSnapshotExtension)


def test_one_serving_stack_per_environment(reference_assembly: cx_api.CloudAssembly) -> None:
    names = sorted(s.stack_name for s in reference_assembly.stacks)
    assert names == sorted(STACKS) == ["churn-dev-serving", "churn-prod-serving"]


@pytest.mark.parametrize("name", STACKS)
def test_snapshot(reference_assembly: cx_api.CloudAssembly, name: str, snapshot_json) -> None:  # type: ignore[no-untyped-def]
    assert _scrub(_template(reference_assembly, name)) == snapshot_json


@pytest.mark.parametrize("name", STACKS)
def test_cfn_lint_has_no_errors(reference_assembly: cx_api.CloudAssembly, name: str) -> None:
    matches = lint(json.dumps(_template(reference_assembly, name)), regions=LINT_REGIONS)
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert errors == [], "\n".join(str(m) for m in errors)


def test_no_unacknowledged_compliance_findings(reference_app: App) -> None:
    findings = unacknowledged_findings(reference_app)
    assert findings == [], "\n".join(map(str, findings))


def test_prod_is_a_guarded_multi_az_ab_endpoint(reference_assembly: cx_api.CloudAssembly) -> None:
    t = Template.from_json(_template(reference_assembly, "churn-prod-serving"))
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                Match.object_like(
                    {
                        "VariantName": "champion",
                        "InitialVariantWeight": 90,
                        "InitialInstanceCount": 2,
                    }
                ),
                Match.object_like(
                    {
                        "VariantName": "challenger",
                        "InitialVariantWeight": 10,
                        "InitialInstanceCount": 2,
                    }
                ),
            ],
            "KmsKeyId": Match.any_value(),
        },
    )
    t.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "EndpointName": "churn-prod",
            "RetainAllVariantProperties": True,
            "DeploymentConfig": {
                "AutoRollbackConfiguration": {"Alarms": Match.any_value()},
                "BlueGreenUpdatePolicy": Match.object_like(
                    {
                        "TrafficRoutingConfiguration": {
                            "Type": "CANARY",
                            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                            "WaitIntervalInSeconds": 600,
                        }
                    }
                ),
            },
        },
    )
    (endpoint,) = t.find_resources("AWS::SageMaker::Endpoint").values()
    alarms = endpoint["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert 1 <= len(alarms) <= 10
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 2)
    for target in t.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values():
        assert target["Properties"]["MinCapacity"] >= 2


def test_prod_rolls_back_on_metric_alarms_that_stay_quiet_without_traffic(
    reference_assembly: cx_api.CloudAssembly,
) -> None:
    # SageMaker documents rollback alarms as metric alarms, and ends a deployment when the
    # old fleet trips one: no composite, nothing that breaches on missing data or low traffic.
    t = Template.from_json(_template(reference_assembly, "churn-prod-serving"))
    metric_alarms = t.find_resources("AWS::CloudWatch::Alarm")
    (_, endpoint) = next(iter(t.find_resources("AWS::SageMaker::Endpoint").items()))
    rollback = endpoint["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    ids = [a["AlarmName"]["Ref"] for a in rollback]
    assert all(i in metric_alarms for i in ids)
    names = sorted(metric_alarms[i]["Properties"]["AlarmName"] for i in ids)
    assert names == [
        "churn-prod-challenger-5xx-rate",
        "churn-prod-challenger-model-latency",
        "churn-prod-champion-5xx-rate",
        "churn-prod-champion-model-latency",
    ]
    for i in ids:
        assert metric_alarms[i]["Properties"].get("TreatMissingData") != "breaching"


def test_dev_serverless_endpoint_has_no_deployment_guardrails(
    reference_assembly: cx_api.CloudAssembly,
) -> None:
    # "Deployment guardrails only apply to Asynchronous inference and Real-time inference."
    t = Template.from_json(_template(reference_assembly, "churn-dev-serving"))
    (endpoint,) = t.find_resources("AWS::SageMaker::Endpoint").values()
    assert "DeploymentConfig" not in endpoint["Properties"]
    (model,) = t.find_resources("AWS::SageMaker::Model").values()
    assert "EnableNetworkIsolation" not in model["Properties"]


def test_prod_models_run_with_network_isolation(reference_assembly: cx_api.CloudAssembly) -> None:
    t = Template.from_json(_template(reference_assembly, "churn-prod-serving"))
    models = t.find_resources("AWS::SageMaker::Model")
    assert len(models) == 2
    assert all(m["Properties"]["EnableNetworkIsolation"] is True for m in models.values())


@pytest.mark.parametrize("name", STACKS)
def test_every_alarm_notifies(reference_assembly: cx_api.CloudAssembly, name: str) -> None:
    template = _template(reference_assembly, name)
    t = Template.from_json(template)
    alarms = {
        **t.find_resources("AWS::CloudWatch::Alarm"),
        **t.find_resources("AWS::CloudWatch::CompositeAlarm"),
    }
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions"), logical_id
    assert t.find_resources("AWS::CloudWatch::CompositeAlarm")
    (_, endpoint) = next(iter(t.find_resources("AWS::SageMaker::Endpoint").items()))
    # The container log group exists before SageMaker could create it on first invocation.
    (log_group_id,) = [
        k
        for k, v in t.find_resources("AWS::Logs::LogGroup").items()
        if "/aws/sagemaker/Endpoints/" in json.dumps(v["Properties"]["LogGroupName"])
    ]
    assert log_group_id in endpoint.get("DependsOn", [])
    t.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    for rule in t.find_resources("AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"]["Arn"] and target["RetryPolicy"]


def test_prod_has_an_audit_trail_and_tuned_alarms(reference_assembly: cx_api.CloudAssembly) -> None:
    prod = Template.from_json(_template(reference_assembly, "churn-prod-serving"))
    dev = Template.from_json(_template(reference_assembly, "churn-dev-serving"))
    prod.resource_count_is("AWS::CloudTrail::Trail", 1)
    dev.resource_count_is("AWS::CloudTrail::Trail", 0)
    # model-latency threshold 500 ms in config -> 500000 microseconds, p99, low samples ignored.
    prod.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "churn-prod-champion-model-latency",
            "ExtendedStatistic": "p99",
            "Threshold": 500000,
            "EvaluateLowSampleCountPercentile": "ignore",
        },
    )
    # dev disables the vanished-invocations alarm; prod keeps it, missing data breaching.
    invocations = {"Properties": {"AlarmName": Match.string_like_regexp("invocations")}}
    assert not dev.find_resources("AWS::CloudWatch::Alarm", invocations)
    prod.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "churn-prod-champion-invocations", "TreatMissingData": "breaching"},
    )


def test_model_is_a_real_asset_served_by_a_region_mapped_image(
    reference_assembly: cx_api.CloudAssembly,
) -> None:
    t = _template(reference_assembly, "churn-dev-serving")
    models = [r for r in t["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    container = models[0]["Properties"]["PrimaryContainer"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert "Fn::FindInMap" in json.dumps(container["Image"])
    assert "cdk-hnb659fds-assets" in json.dumps(container["ModelDataUrl"])
    mapping = next(iter(t["Mappings"].values()))
    assert mapping["us-east-1"]["account"].isdigit() and len(mapping) > 20


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1"])
def test_each_models_role_may_pull_exactly_its_image(
    reference_assembly: cx_api.CloudAssembly, name: str, region: str
) -> None:
    # SageMaker pulls a model's image with the model's execution role, SageMaker-provided
    # images included: BatchGetImage, GetDownloadUrlForLayer and BatchCheckLayerAvailability
    # on the image's repository, GetAuthorizationToken on "*" (CreateModel API: Execution
    # Role Permissions). Evaluated as deployed in that region; nothing wider is allowed.
    template = _template(reference_assembly, name)
    models = Template.from_json(template).find_resources("AWS::SageMaker::Model")
    assert models
    assert image_pull_problems(template, Place(region=region)) == []
