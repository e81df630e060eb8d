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

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Capture, Match, Template
from cfnlint.api import lint

from constructs_lib.serving import (
    Capacity,
    ContainerImage,
    DeploymentPolicy,
    Endpoint,
    Model,
    ModelData,
)

from .builders import artifact_bucket, new_app, new_stack, variant

RELEASES = {
    "v1": {"tag": "1.4.0", "data": "models/churn/v1/model.tar.gz", "weights": (0.9, 0.1),
           "challenger_type": "ml.m5.large"},
    "v2": {"tag": "1.5.0", "data": "models/churn/v2/model.tar.gz", "weights": (0.5, 0.5),
           "challenger_type": "ml.m5.xlarge"},
}  # fmt: skip
ENDPOINT = "AWS::SageMaker::Endpoint"
CONFIG = "AWS::SageMaker::EndpointConfig"
MODEL = "AWS::SageMaker::Model"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


def build(version: str) -> Template:
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
    return Template.from_stack(stack)


@dataclass
class Releases:
    v1: Template
    v2: Template


@pytest.fixture(scope="module")
def releases() -> Releases:
    return Releases(build("v1"), build("v2"))


def test_the_endpoint_keeps_its_logical_id_and_name(releases: Releases) -> None:
    # One endpoint in each release, with no fixed name, under the same logical id.
    unnamed = {"Properties": {"EndpointName": Match.absent()}}
    for template in (releases.v1, releases.v2):
        template.resource_count_is(ENDPOINT, 1)
    assert releases.v1.get_resource_id(ENDPOINT, unnamed) == releases.v2.get_resource_id(
        ENDPOINT, unnamed
    )


def test_the_config_keeps_its_logical_id_but_changes_so_it_is_replaced(
    releases: Releases,
) -> None:
    for template in (releases.v1, releases.v2):
        template.resource_count_is(CONFIG, 1)
    ((id1, config1),) = releases.v1.find_resources(CONFIG).items()
    ((id2, config2),) = releases.v2.find_resources(CONFIG).items()
    assert id1 == id2
    assert config1["Properties"] != config2["Properties"]
    # Every EndpointConfig property is create-only: CloudFormation creates a new config,
    # and with no fixed name the new one cannot collide with the old.
    for template in (releases.v1, releases.v2):
        template.has_resource_properties(CONFIG, {"EndpointConfigName": Match.absent()})


def test_the_endpoint_points_at_the_replacement_config(releases: Releases) -> None:
    for template in (releases.v1, releases.v2):
        template.resource_count_is(ENDPOINT, 1)
        config_id = template.get_resource_id(CONFIG)
        template.has_resource_properties(
            ENDPOINT, {"EndpointConfigName": {"Fn::GetAtt": [config_id, "EndpointConfigName"]}}
        )


def test_new_models_replace_the_old_ones_without_name_collisions(releases: Releases) -> None:
    models1 = releases.v1.find_resources(MODEL)
    models2 = releases.v2.find_resources(MODEL)
    assert models1.keys() == models2.keys()
    for logical_id in models1:
        before = models1[logical_id]["Properties"]["PrimaryContainer"]
        assert before != models2[logical_id]["Properties"]["PrimaryContainer"]
    releases.v2.all_resources_properties(
        MODEL,
        {
            "PrimaryContainer": {
                "Image": Match.string_like_regexp(r":1\.5\.0$"),
                "ModelDataUrl": Match.string_like_regexp(r"/v2/model\.tar\.gz$"),
            },
            "ModelName": Match.absent(),
        },
    )


def test_execution_permissions_get_a_new_policy_version_beside_the_old(
    releases: Releases,
) -> None:
    # The roles stay; each permission change is a new managed policy (new logical id), so
    # during the update a role holds the v1 and v2 grants and instances of the v1 model can
    # still start; CloudFormation deletes the v1 policy at cleanup, or the v2 one on rollback.
    roles1 = releases.v1.find_resources("AWS::IAM::Role")
    roles2 = releases.v2.find_resources("AWS::IAM::Role")
    assert roles1.keys() == roles2.keys()
    policies1 = releases.v1.find_resources("AWS::IAM::ManagedPolicy")
    policies2 = releases.v2.find_resources("AWS::IAM::ManagedPolicy")
    assert len(policies1) == len(policies2) == 2
    assert not policies1.keys() & policies2.keys()
    # Each model waits for its own new policy (and nothing else) before it is created.
    for model in releases.v2.find_resources(MODEL).values():
        (depends_on,) = model["DependsOn"]
        assert depends_on in policies2
    # The same inputs give the same version: synth stays deterministic.
    policies_again = build("v2").find_resources("AWS::IAM::ManagedPolicy")
    assert policies_again.keys() == policies2.keys()


def test_instance_counts_survive_and_new_weights_apply(releases: Releases) -> None:
    for template in (releases.v1, releases.v2):
        template.has_resource_properties(
            ENDPOINT,
            {
                "RetainAllVariantProperties": True,
                "ExcludeRetainedVariantProperties": Match.array_equals(
                    [{"VariantPropertyType": "DesiredWeight"}]
                ),
            },
        )
    releases.v2.has_resource_properties(
        CONFIG,
        {
            "ProductionVariants": [
                {
                    "VariantName": "champion",
                    "InitialVariantWeight": 0.5,
                    "InstanceType": "ml.m5.large",
                },
                {
                    "VariantName": "challenger",
                    "InitialVariantWeight": 0.5,
                    "InstanceType": "ml.m5.xlarge",
                },
            ]
        },
    )


def test_the_update_runs_under_the_same_guardrails(releases: Releases) -> None:
    guardrails = Capture()
    releases.v1.has_resource_properties(ENDPOINT, {"DeploymentConfig": guardrails})
    releases.v2.has_resource_properties(
        ENDPOINT, {"DeploymentConfig": Match.object_equals(guardrails.as_object())}
    )
    releases.v2.has_resource_properties(
        ENDPOINT,
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "CANARY"}}
            }
        },
    )


def test_the_scalable_target_is_untouched(releases: Releases) -> None:
    releases.v2.resource_count_is(SCALABLE_TARGET, 1)
    # Same logical id, same resource (properties, dependencies and all).
    assert releases.v1.find_resources(SCALABLE_TARGET) == releases.v2.find_resources(
        SCALABLE_TARGET
    )


def test_both_releases_pass_cfn_lint(releases: Releases) -> None:
    for template in (releases.v1, releases.v2):
        matches = lint(json.dumps(template.to_json()), regions=["us-east-1", "eu-west-1"])
        errors = [str(m) for m in matches if m.rule.id.startswith("E")]
        assert errors == [], errors
