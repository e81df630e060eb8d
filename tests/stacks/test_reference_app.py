"""The reference app on its embedded default config: shape, snapshots, compliance, cfn-lint."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, cx_api
from aws_cdk.assertions import Capture, Match, Template
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
PROD, DEV = "churn-prod-serving", "churn-dev-serving"
ALARM = "AWS::CloudWatch::Alarm"
COMPOSITE = "AWS::CloudWatch::CompositeAlarm"
ENDPOINT = "AWS::SageMaker::Endpoint"
MODEL = "AWS::SageMaker::Model"


def _template(assembly: cx_api.CloudAssembly, name: str) -> dict[str, Any]:
    return assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]


def _scrub(value: Any) -> Any:
    """Replace asset hashes (content-derived, they change with the model artifact)."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(value, sort_keys=True)))


@pytest.fixture(scope="module")
def templates(reference_assembly: cx_api.CloudAssembly) -> dict[str, Template]:
    """Each stack's template, read once for the assertions of this module."""
    return {name: Template.from_json(_template(reference_assembly, name)) for name in STACKS}


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


def test_prod_is_a_guarded_multi_az_ab_endpoint(templates: dict[str, Template]) -> None:
    t = templates[PROD]
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
    rollback = Capture()
    t.has_resource_properties(
        ENDPOINT,
        {
            "EndpointName": "churn-prod",
            "RetainAllVariantProperties": True,
            "DeploymentConfig": {
                "AutoRollbackConfiguration": {"Alarms": rollback},
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
    t.resource_count_is(ENDPOINT, 1)
    assert 1 <= len(rollback.as_array()) <= 10
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 2)
    for target in t.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values():
        assert target["Properties"]["MinCapacity"] >= 2


def test_prod_rolls_back_on_metric_alarms_that_stay_quiet_without_traffic(
    templates: dict[str, Template],
) -> None:
    # SageMaker documents rollback alarms as metric alarms, and ends a deployment when the
    # old fleet trips one: no composite, nothing that breaches on missing data or low traffic.
    t = templates[PROD]
    rollback = Capture()
    t.has_resource_properties(
        ENDPOINT, {"DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": rollback}}}
    )
    ids = [a["AlarmName"]["Ref"] for a in rollback.as_array()]
    metric_alarms = t.find_resources(ALARM)
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
    templates: dict[str, Template],
) -> None:
    # "Deployment guardrails only apply to Asynchronous inference and Real-time inference."
    t = templates[DEV]
    t.resource_count_is(ENDPOINT, 1)
    t.has_resource_properties(ENDPOINT, {"DeploymentConfig": Match.absent()})
    t.resource_count_is(MODEL, 1)
    t.has_resource_properties(MODEL, {"EnableNetworkIsolation": Match.absent()})


def test_prod_models_run_with_network_isolation(templates: dict[str, Template]) -> None:
    t = templates[PROD]
    t.resource_count_is(MODEL, 2)
    t.all_resources_properties(MODEL, {"EnableNetworkIsolation": True})


@pytest.mark.parametrize("name", STACKS)
def test_every_alarm_notifies(templates: dict[str, Template], name: str) -> None:
    t = templates[name]
    # Metric and composite alarms alike (there are both), each with some action.
    for cfn_type in (ALARM, COMPOSITE):
        t.all_resources_properties(cfn_type, {"AlarmActions": Match.not_([])})
    # The container log group exists before SageMaker could create it on first invocation.
    log_group_id = t.get_resource_id(
        "AWS::Logs::LogGroup",
        {"Properties": {"LogGroupName": Match.string_like_regexp("^/aws/sagemaker/Endpoints/")}},
    )
    t.resource_count_is(ENDPOINT, 1)
    t.has_resource(ENDPOINT, {"DependsOn": Match.array_with([log_group_id])})
    t.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    for rule in t.find_resources("AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"]["Arn"] and target["RetryPolicy"]


def test_prod_has_an_audit_trail_and_tuned_alarms(templates: dict[str, Template]) -> None:
    prod, dev = templates[PROD], templates[DEV]
    prod.resource_count_is("AWS::CloudTrail::Trail", 1)
    dev.resource_count_is("AWS::CloudTrail::Trail", 0)
    # model-latency threshold 500 ms in config -> 500000 microseconds, p99, low samples ignored.
    prod.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-prod-champion-model-latency",
            "ExtendedStatistic": "p99",
            "Threshold": 500000,
            "EvaluateLowSampleCountPercentile": "ignore",
        },
    )
    # dev disables the vanished-invocations alarm; prod keeps it, missing data breaching.
    dev.resource_properties_count_is(
        ALARM, {"AlarmName": Match.string_like_regexp("invocations")}, 0
    )
    prod.has_resource_properties(
        ALARM,
        {"AlarmName": "churn-prod-champion-invocations", "TreatMissingData": "breaching"},
    )


def test_model_is_a_real_asset_served_by_a_region_mapped_image(
    templates: dict[str, Template],
) -> None:
    t = templates[DEV]
    registries = Capture()
    t.has_resource_properties(
        MODEL,
        {
            "PrimaryContainer": {
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                # The registry account of the deploying region, looked up in a mapping.
                "Image": {
                    "Fn::Join": [
                        "",
                        Match.array_with(
                            [{"Fn::FindInMap": [registries, {"Ref": "AWS::Region"}, "account"]}]
                        ),
                    ]
                },
                # The artifact is a file asset in the bootstrap bucket.
                "ModelDataUrl": {"Fn::Sub": Match.string_like_regexp("cdk-hnb659fds-assets")},
            }
        },
    )
    mapping = t.find_mappings(registries.as_string())[registries.as_string()]
    assert mapping["us-east-1"]["account"].isdigit() and len(mapping) > 20


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1"])
def test_each_models_role_may_pull_exactly_its_image(
    reference_assembly: cx_api.CloudAssembly, templates: dict[str, Template], name: str, region: str
) -> None:
    # SageMaker pulls a model's image with the model's execution role, SageMaker-provided
    # images included: BatchGetImage, GetDownloadUrlForLayer and BatchCheckLayerAvailability
    # on the image's repository, GetAuthorizationToken on "*" (CreateModel API: Execution
    # Role Permissions). Evaluated as deployed in that region; nothing wider is allowed.
    assert templates[name].find_resources(MODEL)
    assert image_pull_problems(_template(reference_assembly, name), Place(region=region)) == []
