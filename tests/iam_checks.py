"""What a model's execution role may do, read from a synthesized template.

The checks state the service's documented requirement, not our template: SageMaker pulls
a model's image with the model's execution role, which needs ``ecr:BatchGetImage``,
``ecr:GetDownloadUrlForLayer`` and ``ecr:BatchCheckLayerAvailability`` on the image's
repository and ``ecr:GetAuthorizationToken`` on ``*`` (SageMaker developer guide,
"CreateModel API: Execution Role Permissions"). Templates are evaluated for one concrete
account, region and partition: intrinsic functions (``Ref`` of pseudo parameters,
``Fn::Join``, ``Fn::Sub``, ``Fn::FindInMap``) are resolved, so the image URI and the
policy resources are compared as the deployed strings.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ECR_PULL_ACTIONS = frozenset(
    {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
)
ECR_TOKEN_ACTION = "ecr:GetAuthorizationToken"
_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?"
    r"/(?P<repository>[^:@]+)(?::[^@]+|@sha256:[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Place:
    """Where a template is deployed."""

    account: str = "111122223333"
    region: str = "us-east-1"

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


class Unresolvable(Exception):
    """A value refers to something only known after deployment (a resource attribute)."""


def resolve(tpl: Mapping[str, Any], value: Any, place: Place) -> Any:
    """Evaluate the intrinsic functions of ``value`` for ``place``."""
    pseudo = {
        "AWS::AccountId": place.account,
        "AWS::Region": place.region,
        "AWS::Partition": place.partition,
        "AWS::URLSuffix": place.url_suffix,
    }
    if isinstance(value, list):
        return [resolve(tpl, v, place) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {k: resolve(tpl, v, place) for k, v in value.items()}
    ((fn, arg),) = value.items()
    if fn == "Ref":
        if arg in pseudo:
            return pseudo[arg]
        raise Unresolvable(f"Ref {arg}")
    if fn == "Fn::Join":
        return str(arg[0]).join(str(resolve(tpl, v, place)) for v in arg[1])
    if fn == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: _sub(m.group(1), pseudo), text)
    if fn == "Fn::FindInMap":
        name, key, attribute = (resolve(tpl, a, place) for a in arg)
        return tpl["Mappings"][name][key][attribute]
    if fn.startswith("Fn::") or fn == "Condition":
        raise Unresolvable(fn)
    return {fn: resolve(tpl, arg, place)}


def _sub(name: str, pseudo: Mapping[str, str]) -> str:
    if name in pseudo:
        return pseudo[name]
    raise Unresolvable(f"${{{name}}}")


def role_statements(tpl: Mapping[str, Any], role_logical_id: str) -> Iterator[dict[str, Any]]:
    """Every Allow statement of every policy attached to the role (managed or inline)."""
    resources = tpl["Resources"]
    documents = [
        p["PolicyDocument"] for p in resources[role_logical_id]["Properties"].get("Policies", [])
    ]
    for res in resources.values():
        if res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and {
            "Ref": role_logical_id
        } in res["Properties"].get("Roles", []):
            documents.append(res["Properties"]["PolicyDocument"])
    for document in documents:
        for statement in document["Statement"]:
            if statement.get("Effect") == "Allow":
                yield statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_resources(
    tpl: Mapping[str, Any], role_logical_id: str, action: str, place: Place
) -> set[str]:
    """The resources on which the role's policies allow ``action`` (wildcards kept)."""
    found: set[str] = set()
    for statement in role_statements(tpl, role_logical_id):
        actions = _as_list(statement["Action"])
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in actions):
            continue
        assert "Condition" not in statement or action != ECR_TOKEN_ACTION
        for resource in _as_list(statement["Resource"]):
            found.add(str(resolve(tpl, resource, place)))
    return found


def ecr_actions(tpl: Mapping[str, Any], role_logical_id: str) -> set[str]:
    """Every ECR action (or pattern) the role's policies name."""
    return {
        a
        for s in role_statements(tpl, role_logical_id)
        for a in _as_list(s["Action"])
        if a.startswith("ecr:") or a in ("*", "ecr*")
    }


def repository_arn_of_image(image_uri: str, place: Place) -> str:
    """The ECR repository ARN an image URI is pulled from."""
    match = _ECR_URI.match(image_uri)
    assert match, f"{image_uri} is not an ECR image URI"
    return (
        f"arn:{place.partition}:ecr:{match['region']}:{match['account']}"
        f":repository/{match['repository']}"
    )


def role_logical_id_of_model(tpl: Mapping[str, Any], model_props: Mapping[str, Any]) -> str:
    role = model_props["ExecutionRoleArn"]
    assert "Fn::GetAtt" in role, f"the model's role is not in this template: {role}"
    return str(role["Fn::GetAtt"][0])


def image_pull_problems(
    tpl: Mapping[str, Any], place: Place, repository_arns: Mapping[str, set[str]] | None = None
) -> list[str]:
    """What keeps each model's role from pulling exactly its image(s), for ``place``.

    :param repository_arns: the repositories a model's images come from, by model logical
        id, where the template cannot say: a Model Registry package (no image in the
        template) or an image URI given as a parameter.
    """
    problems: list[str] = []
    for logical_id, res in tpl["Resources"].items():
        if res["Type"] != "AWS::SageMaker::Model":
            continue
        model = res["Properties"]
        containers = [model["PrimaryContainer"]] if "PrimaryContainer" in model else []
        containers += model.get("Containers", [])
        expected = set((repository_arns or {}).get(logical_id, set()))
        for c in containers:
            if "Image" in c and logical_id not in (repository_arns or {}):
                expected.add(repository_arn_of_image(resolve(tpl, c["Image"], place), place))
        if not expected:
            problems.append(f"{logical_id}: no image repository known")
            continue
        role = role_logical_id_of_model(tpl, model)
        for action in sorted(ECR_PULL_ACTIONS):
            allowed = allowed_resources(tpl, role, action, place)
            if allowed != expected:
                problems.append(
                    f"{logical_id}: {action} allowed on {sorted(allowed)}, "
                    f"needs exactly {sorted(expected)}"
                )
        token = allowed_resources(tpl, role, ECR_TOKEN_ACTION, place)
        if token != {"*"}:
            problems.append(f"{logical_id}: {ECR_TOKEN_ACTION} allowed on {sorted(token)}")
        extra = ecr_actions(tpl, role) - ECR_PULL_ACTIONS - {ECR_TOKEN_ACTION}
        if extra:
            problems.append(f"{logical_id}: more ECR actions than a pull needs: {sorted(extra)}")
    return problems
