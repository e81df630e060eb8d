"""Two releases of the same app: the endpoint is updated in place, never replaced.

v1 -> v2 changes the model image tag, the model data, the traffic weights and the instance
type of the (not autoscaled) challenger. CloudFormation must then:

- keep the AWS::SageMaker::Endpoint (same logical id, same or no EndpointName), so the
  endpoint is updated with ``UpdateEndpoint`` (blue/green, no availability loss);
- replace the AWS::SageMaker::EndpointConfig (same logical id, other create-only props,
  no fixed name so the new config does not collide with the old one), and point the
  endpoint at the new config;
- keep autoscaled instance counts (RetainAllVariantProperties) while applying the new
  weights (DesiredWeight excluded from retention).

Both releases also pass cfn-lint (the CloudFormation resource schemas).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from cfnlint.api import lint

from constructs_lib.serving import (
    Capacity,
    ContainerImage,
    DeploymentPolicy,
    Endpoint,
    Model,
    ModelData,
)

from .builders import (
    artifact_bucket,
    new_app,
    new_stack,
    only,
    props,
    resources,
    template,
    variant,
)

RELEASES = {
    "v1": {"tag": "1.4.0", "data": "models/churn/v1/model.tar.gz", "weights": (0.9, 0.1),
           "challenger_type": "ml.m5.large"},
    "v2": {"tag": "1.5.0", "data": "models/churn/v2/model.tar.gz", "weights": (0.5, 0.5),
           "challenger_type": "ml.m5.xlarge"},
}  # fmt: skip


def build(version: str) -> dict[str, Any]:
    """The production stack of one release."""
    release = RELEASES[version]
    stack = new_stack(new_app(), "Serving")
    image = ContainerImage.from_image_uri(
        f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:{release['tag']}"
    )
    bucket = artifact_bucket(stack)
    champion = Model(
        stack,
        "Champion",
        image=image,
        model_data=ModelData.from_bucket(bucket, str(release["data"])),
    )
    challenger = Model(
        stack,
        "Challenger",
        image=image,
        model_data=ModelData.from_bucket(bucket, str(release["data"])),
    )
    topic = sns.Topic(stack, "Alerts", enforce_ssl=True)
    alarm = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=5,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    champion_weight, challenger_weight = release["weights"]
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[
            variant("champion", champion, initial_weight=champion_weight, initial_instance_count=2),
            variant(
                "challenger",
                challenger,
                initial_weight=challenger_weight,
                instance_type=str(release["challenger_type"]),
                initial_instance_count=2,
            ),
        ],
        deployment_policy=DeploymentPolicy.canary(
            size=Capacity.percent(50), rollback_alarms=[alarm]
        ),
    )
    scaling = endpoint.find_variant("champion").auto_scale_instance_count(
        min_capacity=2, max_capacity=6
    )
    scaling.scale_on_invocations("InvocationsTracking", invocations_per_instance=200)
    return template(stack)


@dataclass
class Releases:
    v1: dict[str, Any]
    v2: dict[str, Any]


@pytest.fixture(scope="module")
def releases() -> Releases:
    return Releases(build("v1"), build("v2"))


def test_the_endpoint_keeps_its_logical_id_and_name(releases: Releases) -> None:
    id1, endpoint1 = only(releases.v1, "AWS::SageMaker::Endpoint")
    id2, endpoint2 = only(releases.v2, "AWS::SageMaker::Endpoint")
    assert id1 == id2
    assert endpoint1["Properties"].get("EndpointName") == endpoint2["Properties"].get(
        "EndpointName"
    )
    assert "EndpointName" not in endpoint2["Properties"]


def test_the_config_keeps_its_logical_id_but_changes_so_it_is_replaced(
    releases: Releases,
) -> None:
    id1, config1 = only(releases.v1, "AWS::SageMaker::EndpointConfig")
    id2, config2 = only(releases.v2, "AWS::SageMaker::EndpointConfig")
    assert id1 == id2
    assert config1["Properties"] != config2["Properties"]
    # Every EndpointConfig property is create-only: CloudFormation creates a new config,
    # and with no fixed name the new one cannot collide with the old.
    assert "EndpointConfigName" not in config1["Properties"]
    assert "EndpointConfigName" not in config2["Properties"]


def test_the_endpoint_points_at_the_replacement_config(releases: Releases) -> None:
    for tpl in (releases.v1, releases.v2):
        config_id, _ = only(tpl, "AWS::SageMaker::EndpointConfig")
        (_, endpoint) = only(tpl, "AWS::SageMaker::Endpoint")
        assert endpoint["Properties"]["EndpointConfigName"] == {
            "Fn::GetAtt": [config_id, "EndpointConfigName"]
        }


def test_new_models_replace_the_old_ones_without_name_collisions(releases: Releases) -> None:
    models1 = resources(releases.v1, "AWS::SageMaker::Model")
    models2 = resources(releases.v2, "AWS::SageMaker::Model")
    assert models1.keys() == models2.keys()
    for logical_id in models1:
        before, after = props(releases.v1, logical_id), props(releases.v2, logical_id)
        assert before["PrimaryContainer"] != after["PrimaryContainer"]
        assert after["PrimaryContainer"]["Image"].endswith(":1.5.0")
        assert after["PrimaryContainer"]["ModelDataUrl"].endswith("/v2/model.tar.gz")
        assert "ModelName" not in after


def test_execution_permissions_get_a_new_policy_version_beside_the_old(
    releases: Releases,
) -> None:
    # The roles stay; each permission change is a new managed policy (new logical id), so
    # during the update a role holds the v1 and v2 grants and instances of the v1 model can
    # still start; CloudFormation deletes the v1 policy at cleanup, or the v2 one on rollback.
    roles1 = resources(releases.v1, "AWS::IAM::Role")
    roles2 = resources(releases.v2, "AWS::IAM::Role")
    assert roles1.keys() == roles2.keys()
    policies1 = resources(releases.v1, "AWS::IAM::ManagedPolicy")
    policies2 = resources(releases.v2, "AWS::IAM::ManagedPolicy")
    assert len(policies1) == len(policies2) == 2
    assert not policies1.keys() & policies2.keys()
    for logical_id in resources(releases.v2, "AWS::SageMaker::Model"):
        (depends_on,) = releases.v2["Resources"][logical_id]["DependsOn"]
        assert depends_on in policies2
    # The same inputs give the same version: synth stays deterministic.
    assert resources(build("v2"), "AWS::IAM::ManagedPolicy").keys() == policies2.keys()


def test_instance_counts_survive_and_new_weights_apply(releases: Releases) -> None:
    for tpl in (releases.v1, releases.v2):
        (_, endpoint) = only(tpl, "AWS::SageMaker::Endpoint")
        assert endpoint["Properties"]["RetainAllVariantProperties"] is True
        assert endpoint["Properties"]["ExcludeRetainedVariantProperties"] == [
            {"VariantPropertyType": "DesiredWeight"}
        ]
    (_, config2) = only(releases.v2, "AWS::SageMaker::EndpointConfig")
    weights = {
        v["VariantName"]: v["InitialVariantWeight"]
        for v in config2["Properties"]["ProductionVariants"]
    }
    assert weights == {"champion": 0.5, "challenger": 0.5}
    types = {
        v["VariantName"]: v["InstanceType"] for v in config2["Properties"]["ProductionVariants"]
    }
    assert types == {"champion": "ml.m5.large", "challenger": "ml.m5.xlarge"}


def test_the_update_runs_under_the_same_guardrails(releases: Releases) -> None:
    (_, endpoint1) = only(releases.v1, "AWS::SageMaker::Endpoint")
    (_, endpoint2) = only(releases.v2, "AWS::SageMaker::Endpoint")
    assert (
        endpoint1["Properties"]["DeploymentConfig"] == endpoint2["Properties"]["DeploymentConfig"]
    )
    routing = endpoint2["Properties"]["DeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing["Type"] == "CANARY"


def test_the_scalable_target_is_untouched(releases: Releases) -> None:
    targets1 = resources(releases.v1, "AWS::ApplicationAutoScaling::ScalableTarget")
    targets2 = resources(releases.v2, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert targets1 == targets2
    assert len(targets2) == 1


def test_both_releases_pass_cfn_lint() -> None:
    for version in ("v1", "v2"):
        matches = lint(json.dumps(build(version)), regions=["us-east-1", "eu-west-1"])
        errors = [str(m) for m in matches if m.rule.id.startswith("E")]
        assert errors == [], errors
