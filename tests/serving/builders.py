"""Builders and template helpers shared by the serving tests.

Each App carries cdk.json's context (the feature flags ``cdk synth`` uses) and has CDK's
built-in CloudFormation schema validation off: it costs about 10 s of CPU per process;
the tests run cfn-lint on the templates that matter instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import Construct, IConstruct

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    ContainerImage,
    IModel,
    Model,
    ModelData,
    ProductionVariant,
)
from stacks.app import cdk_json_context

ROOT = Path(__file__).resolve().parents[2]
MODEL_ARTIFACT = ROOT / "model" / "model.tar.gz"
ACCOUNT = "123456789012"
IMAGE_URI = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/churn:v1"
BUCKET_NAME = "ml-artifacts"


def new_app() -> cdk.App:
    """An App with cdk.json's context and no built-in schema validation."""
    return cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)


def new_stack(
    app: cdk.App | None = None, stack_id: str = "Stack", *, region: str | None = None
) -> cdk.Stack:
    """A stack, environment-agnostic unless ``region`` is given."""
    env = cdk.Environment(account=ACCOUNT, region=region) if region else None
    return cdk.Stack(app or new_app(), stack_id, env=env)


_BUCKETS: dict[str, s3.IBucket] = {}


def artifact_bucket(scope: IConstruct) -> s3.IBucket:
    """The stack's imported artifact bucket (no resources of its own in the template)."""
    stack = cdk.Stack.of(scope)
    addr = stack.node.addr
    if addr not in _BUCKETS:
        _BUCKETS[addr] = s3.Bucket.from_bucket_name(stack, "Artifacts", BUCKET_NAME)
    return _BUCKETS[addr]


def new_model(
    scope: Construct,
    construct_id: str = "Model",
    *,
    image_uri: str = IMAGE_URI,
    data_key: str | None = "models/churn/v1/model.tar.gz",
    **kwargs: Any,
) -> Model:
    """A model from an image URI and, unless ``data_key`` is None, an S3 artifact."""
    if "image" not in kwargs and "model_package" not in kwargs:
        kwargs["image"] = ContainerImage.from_image_uri(image_uri)
    if data_key is not None and "model_data" not in kwargs and "model_package" not in kwargs:
        kwargs["model_data"] = ModelData.from_bucket(artifact_bucket(scope), data_key)
    return Model(scope, construct_id, **kwargs)


def variant(name: str, model: IModel, **kwargs: Any) -> ProductionVariant:
    """An instance-backed production variant (``ml.m5.large`` unless told otherwise)."""
    if "serverless" not in kwargs:
        kwargs.setdefault("instance_type", "ml.m5.large")
    return ProductionVariant(name=name, model=model, **kwargs)


# -- template helpers ---------------------------------------------------------------------
# Template reads use aws_cdk.assertions (Template, Match, Capture); these helpers only name
# resources and compute over what an assertion cannot state directly (IAM statement sets).


def logical_id(construct: IConstruct) -> str:
    """The logical id of a CfnResource, or of a construct's default child."""
    element = construct.node.default_child or construct
    # CfnElement.logical_id honours overrides (model policies are versioned at synth).
    return str(cdk.Stack.of(construct).resolve(element.logical_id))  # type: ignore[attr-defined]


def policy_statements(template: Template, model: Model) -> list[dict[str, Any]]:
    """The statements of a model's managed execution policy, the only one on its role."""
    found = template.find_resources(
        "AWS::IAM::ManagedPolicy", {"Properties": {"Roles": [ref(model.role)]}}
    )
    assert list(found) == [logical_id(model.policy)], sorted(found)
    policy = found[logical_id(model.policy)]
    return policy["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def as_list(value: Any) -> list[Any]:
    """Wrap a scalar Action/Resource value in a list."""
    return value if isinstance(value, list) else [value]


def statements_with(statements: Iterable[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """The statements that allow ``action``."""
    return [s for s in statements if action in as_list(s["Action"])]


def get_att(construct: IConstruct, attribute: str) -> dict[str, Any]:
    """``{"Fn::GetAtt": [<logical id>, attribute]}`` for a construct's resource."""
    return {"Fn::GetAtt": [logical_id(construct), attribute]}


def ref(construct: IConstruct) -> dict[str, str]:
    """``{"Ref": <logical id>}`` for a construct's resource."""
    return {"Ref": logical_id(construct)}


def assert_names(error: InvalidPropsError, path: str, value: object) -> None:
    """The message names the construct path, the bad value and a fix."""
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert str(value) in message, f"{value!r} not in {message!r}"
    assert "Fix:" in message, message


def flat(value: Any) -> str:
    """A CloudFormation value as one string: ``Ref`` -> ``<X>``, ``GetAtt`` -> ``<X.Attr>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            return str(arg[0]).join(flat(v) for v in arg[1])
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Sub":
            return str(arg)
        if fn == "Fn::FindInMap":
            return f"<{arg[0]}[{flat(arg[1])}].{arg[2]}>"
    raise AssertionError(f"cannot flatten {value!r}")
