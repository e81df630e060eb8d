"""Builders and template readers shared by the Model Monitor tests.

``monitored_stack`` puts one instance-backed endpoint with data capture and one monitor of
each kind in a stack: the set-up every module synthesizes once.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from constructs_lib.core import InvalidPropsError
from constructs_lib.monitoring import (
    DataQualityMonitor,
    ModelBiasMonitor,
    ModelExplainabilityMonitor,
    ModelMonitor,
    ModelQualityMonitor,
    ProblemType,
    S3Location,
)
from constructs_lib.serving import (
    ContainerImage,
    DataCapture,
    Endpoint,
    Model,
    ProductionVariant,
)
from stacks.app import cdk_json_context

ACCOUNT = "123456789012"
BUCKET = "ml-data"
CAPTURE_PREFIX = "capture/churn"
IMAGE_URI = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/churn:v1"


def new_app() -> cdk.App:
    """An App with cdk.json's feature flags and no built-in schema validation (cfn-lint runs)."""
    return cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)


def new_stack(
    app: cdk.App | None = None, stack_id: str = "Monitoring", *, region: str | None = None
) -> cdk.Stack:
    """A stack, environment-agnostic unless ``region`` is given."""
    env = cdk.Environment(account=ACCOUNT, region=region) if region else None
    return cdk.Stack(app or new_app(), stack_id, env=env)


@dataclass
class Setup:
    """What every monitor needs: an endpoint with capture, a KMS bucket, baselines."""

    stack: cdk.Stack
    key: kms.Key
    bucket: s3.IBucket
    capture: DataCapture
    model: Model
    endpoint: Endpoint
    monitors: dict[str, ModelMonitor] = field(default_factory=dict)

    def common(self, **overrides: Any) -> dict[str, Any]:
        """The props every kind shares."""
        return {
            "endpoint": self.endpoint,
            "data_capture": self.capture,
            "output_bucket": self.bucket,
            **overrides,
        }

    def at(self, key: str) -> S3Location:
        return S3Location.from_bucket(self.bucket, key)


def setup(stack: cdk.Stack, **capture_kwargs: Any) -> Setup:
    """A KMS key, an imported bucket encrypted with it, a model, an endpoint capturing to it."""
    key = kms.Key(stack, "DataKey", enable_key_rotation=True)
    bucket = s3.Bucket.from_bucket_attributes(stack, "Data", bucket_name=BUCKET, encryption_key=key)
    capture = DataCapture(bucket=bucket, prefix=CAPTURE_PREFIX, **capture_kwargs)
    model = Model(stack, "Model", image=ContainerImage.from_image_uri(IMAGE_URI))
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant(name="main", model=model, instance_type="ml.m5.large")],
        data_capture=capture,
    )
    return Setup(stack, key, bucket, capture, model, endpoint)


def data_quality(s: Setup, construct_id: str = "DataQuality", **kwargs: Any) -> DataQualityMonitor:
    kwargs.setdefault("baseline_constraints", s.at("baseline/data/constraints.json"))
    kwargs.setdefault("baseline_statistics", s.at("baseline/data/statistics.json"))
    return DataQualityMonitor(s.stack, construct_id, **s.common(**kwargs))


def model_quality(
    s: Setup, construct_id: str = "ModelQuality", **kwargs: Any
) -> ModelQualityMonitor:
    kwargs.setdefault("problem_type", ProblemType.BINARY_CLASSIFICATION)
    kwargs.setdefault("ground_truth", s.at("ground-truth/churn"))
    kwargs.setdefault("baseline_constraints", s.at("baseline/quality/constraints.json"))
    return ModelQualityMonitor(s.stack, construct_id, **s.common(**kwargs))


def model_bias(s: Setup, construct_id: str = "ModelBias", **kwargs: Any) -> ModelBiasMonitor:
    kwargs.setdefault("analysis_config", s.at("clarify/bias.json"))
    kwargs.setdefault("ground_truth", s.at("ground-truth/churn"))
    return ModelBiasMonitor(s.stack, construct_id, **s.common(**kwargs))


def explainability(
    s: Setup, construct_id: str = "Explainability", **kwargs: Any
) -> ModelExplainabilityMonitor:
    kwargs.setdefault("analysis_config", s.at("clarify/shap.json"))
    return ModelExplainabilityMonitor(s.stack, construct_id, **s.common(**kwargs))


def monitored_stack(app: cdk.App, stack_id: str = "Monitoring", **stack_kwargs: Any) -> Setup:
    """One endpoint and one monitor of each kind, as a user would write them."""
    s = setup(new_stack(app, stack_id, **stack_kwargs))
    s.monitors["DataQuality"] = data_quality(s)
    s.monitors["ModelQuality"] = model_quality(
        s,
        inference_attribute="0",
        probability_attribute="1",
        probability_threshold=0.5,
        start_time_offset=cdk.Duration.days(8),
        end_time_offset=cdk.Duration.days(1),
    )
    s.monitors["ModelBias"] = model_bias(
        s, baseline_constraints=s.at("baseline/bias/constraints.json"), probability_threshold=0.8
    )
    s.monitors["Explainability"] = explainability(
        s,
        baseline_constraints=s.at("baseline/shap/constraints.json"),
        shadow_model=s.model,
        network_isolation=False,
    )
    return s


# -- template readers ---------------------------------------------------------------------


def logical_id(construct: IConstruct) -> str:
    """The logical id of a construct's CloudFormation resource (its default child)."""
    element = construct.node.default_child or construct
    return str(cdk.Stack.of(construct).resolve(element.logical_id))  # type: ignore[attr-defined]


def child_id(construct: IConstruct, child: str) -> str:
    """The logical id of one named child resource (``JobDefinition``, ``Schedule``, ...)."""
    return logical_id(construct.node.find_child(child))


def flat(value: Any) -> Any:
    """A CloudFormation value as text: ``Ref`` -> ``<X>``, ``GetAtt`` -> ``<X.Attr>``."""
    if isinstance(value, list):
        return [flat(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            return str(arg[0]).join(str(flat(v)) for v in arg[1])
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Sub" and isinstance(arg, str):
            return arg.replace("${", "<").replace("}", ">")
        if fn == "Fn::FindInMap":
            return f"<{arg[0]}[{flat(arg[1])}].{arg[2]}>"
    if isinstance(value, dict):
        return {k: flat(v) for k, v in value.items()}
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of(tpl: Mapping[str, Any], monitor: ModelMonitor) -> list[dict[str, Any]]:
    """Every statement of every policy attached to the monitor's role, flattened."""
    role = logical_id(monitor.role)
    found = []
    for res in tpl["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and {
            "Ref": role
        } in props.get("Roles", []):
            found += [flat(s) for s in props["PolicyDocument"]["Statement"]]
    return found


def grants(statements: Iterable[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    """(action, resource, condition) triples: what a role may do, one row per pair."""
    rows = set()
    for s in statements:
        assert s["Effect"] == "Allow", s
        condition = repr(sorted(s.get("Condition", {}).items())) if s.get("Condition") else ""
        for action in as_list(s["Action"]):
            for resource in as_list(s["Resource"]):
                rows.add((action, resource, condition))
    return rows


def assert_names(error: InvalidPropsError, path: str, value: object) -> None:
    """The message names the construct path, the bad value and a fix."""
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert str(value) in message, f"{value!r} not in {message!r}"
    assert "Fix:" in message, message
