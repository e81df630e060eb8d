"""SageMaker models: where the container and the weights come from, and who may read them.

:class:`Model` creates an ``AWS::SageMaker::Model`` with its own least-privilege execution
role: it may read exactly the model data it serves, pull exactly its image, write its
endpoint logs and decrypt with the keys it was given. Nothing else, and no AWS managed
policy. The model has no fixed physical name, so a new image or new weights create a new
model and the endpoint that serves it is updated in place.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import jsii
from aws_cdk import ArnFormat, Aspects, Aws, CfnMapping, CfnResource, Fn, IAspect, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct, Node

from constructs_lib.core import InvalidPropsError, acknowledge, check_name, is_token, require
from constructs_lib.serving._image_accounts import (
    SKLEARN_IMAGE_REPOSITORY,
    SKLEARN_IMAGE_TAG,
    SKLEARN_XGBOOST_REGISTRY_ACCOUNTS,
)

if TYPE_CHECKING:  # aws_ec2 is large; it is imported only for models in a VPC.
    from aws_cdk import aws_ec2 as ec2

__all__ = ["ContainerImage", "IModel", "Model", "ModelData", "ModelPackage"]

#: SageMaker writes endpoint container logs to ``/aws/sagemaker/Endpoints/<EndpointName>``.
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"


@dataclass(frozen=True)
class _Bound:
    """What a source contributes to a model: a CloudFormation value and role statements."""

    value: str
    statements: list[iam.PolicyStatement] = field(default_factory=list)


class ContainerImage(abc.ABC):
    """The serving container image of a model.

    Use a static factory: :meth:`from_ecr_repository`, :meth:`from_image_uri`,
    :meth:`from_sagemaker_image` or :meth:`sagemaker_scikit_learn`.
    """

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag: str = "latest") -> ContainerImage:
        """An image in one of your ECR repositories; the model role may pull only from it.

        :param repository: the repository (``ecr.Repository.from_repository_name`` works).
        :param tag: the image tag or digest (``sha256:...``). Default: ``latest``.
        """
        return _EcrImage(repository, tag)

    @staticmethod
    def from_image_uri(image_uri: str) -> ContainerImage:
        """Any image URI the SageMaker service can pull by itself (no permissions are granted).

        :param image_uri: a full ``registry/repository:tag`` or ``@sha256:`` reference.
        """
        return _UriImage(image_uri)

    @staticmethod
    def from_sagemaker_image(
        repository: str, tag: str, registry_accounts: Mapping[str, str]
    ) -> ContainerImage:
        """A SageMaker-provided image, resolved per region with no network call at synth.

        The region-to-account table becomes a CloudFormation mapping when the stack is
        environment-agnostic, and is resolved directly when the region is known.

        :param repository: the image repository name, e.g. ``sagemaker-scikit-learn``.
        :param tag: the image tag, e.g. ``1.2-1-cpu-py3``.
        :param registry_accounts: region name -> 12-digit account of the image registry.
        """
        return _SageMakerImage(repository, tag, dict(registry_accounts))

    @staticmethod
    def sagemaker_scikit_learn(tag: str = SKLEARN_IMAGE_TAG) -> ContainerImage:
        """The SageMaker scikit-learn serving image (numpy/scikit-learn, Python inference code).

        :param tag: the image tag. Default: ``1.2-1-cpu-py3``.
        """
        return _SageMakerImage(SKLEARN_IMAGE_REPOSITORY, tag, SKLEARN_XGBOOST_REGISTRY_ACCOUNTS)

    @abc.abstractmethod
    def _bind(self, scope: Construct) -> _Bound: ...


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag: str):
        self._repository = repository
        self._tag = tag

    def _bind(self, scope: Construct) -> _Bound:
        ref = self._repository.repository_uri_for_tag_or_digest(self._tag)
        return _Bound(
            ref,
            [
                iam.PolicyStatement(
                    actions=[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    resources=[self._repository.repository_arn],
                ),
                # GetAuthorizationToken has no resource-level permissions.
                iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            ],
        )


class _UriImage(ContainerImage):
    def __init__(self, image_uri: str):
        self._uri = image_uri

    def _bind(self, scope: Construct) -> _Bound:
        if not is_token(self._uri):
            require(
                "/" in self._uri and " " not in self._uri and len(self._uri) <= 255,
                scope,
                "image",
                self._uri,
                "is not a container image reference",
                "pass 'registry/repository:tag' (at most 255 characters)",
            )
        return _Bound(self._uri)


class _SageMakerImage(ContainerImage):
    def __init__(self, repository: str, tag: str, accounts: dict[str, str]):
        self._repository = repository
        self._tag = tag
        self._accounts = accounts

    def _bind(self, scope: Construct) -> _Bound:
        stack = Stack.of(scope)
        region = stack.region
        if not is_token(region):
            account = self._accounts.get(region)
            if account is None:
                raise InvalidPropsError(
                    scope,
                    "image",
                    f"{self._repository}:{self._tag} in {region}",
                    "is not published in that region",
                    f"deploy to one of {', '.join(sorted(self._accounts))}, "
                    "or use ContainerImage.from_image_uri",
                )
        else:
            mapping_id = "SageMakerImageRegistry" + "".join(
                part.capitalize() for part in self._repository.replace("_", "-").split("-")
            )
            mapping = stack.node.try_find_child(mapping_id)
            if mapping is None:
                mapping = CfnMapping(
                    stack,
                    mapping_id,
                    mapping={r: {"account": a} for r, a in sorted(self._accounts.items())},
                )
            assert isinstance(mapping, CfnMapping)
            account = mapping.find_in_map(Aws.REGION, "account")
        uri = Fn.join(
            "",
            [
                account,
                ".dkr.ecr.",
                Aws.REGION,
                ".",
                Aws.URL_SUFFIX,
                f"/{self._repository}:{self._tag}",
            ],
        )
        return _Bound(uri)


class ModelData(abc.ABC):
    """Where a model's weights (a ``model.tar.gz``) come from.

    Use :meth:`from_bucket` or :meth:`from_asset`.
    """

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """An object in an S3 bucket; the model role may read only that object.

        :param bucket: the bucket holding the artifact.
        :param key: the object key of the ``.tar.gz`` artifact.
        """
        return _BucketData(bucket, key)

    @staticmethod
    def from_asset(path: str) -> ModelData:
        """A local ``.tar.gz`` file uploaded as a CDK asset at deploy time.

        :param path: path to the artifact file.
        """
        return _AssetData(path)

    @abc.abstractmethod
    def _bind(self, scope: Construct) -> _Bound: ...


class _BucketData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str):
        self._bucket = bucket
        self._key = key

    def _bind(self, scope: Construct) -> _Bound:
        if not is_token(self._key):
            require(
                bool(self._key) and not self._key.startswith("/"),
                scope,
                "model_data.key",
                self._key,
                "is not an S3 object key",
                "pass the key without a leading '/', e.g. 'models/churn/model.tar.gz'",
            )
        return _Bound(
            self._bucket.s3_url_for_object(self._key),
            [
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[self._bucket.arn_for_objects(self._key)],
                )
            ],
        )


class _AssetData(ModelData):
    def __init__(self, path: str):
        self._path = path

    def _bind(self, scope: Construct) -> _Bound:
        asset = s3_assets.Asset(scope, "ModelData", path=self._path)
        return _Bound(
            asset.s3_object_url,
            [
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[asset.bucket.arn_for_objects(asset.s3_object_key)],
                )
            ],
        )


class ModelPackage:
    """A versioned package from the SageMaker Model Registry, served instead of image + data.

    :param model_package_arn: the model package version ARN.
    :param artifact_bucket: the bucket holding the package's model data, so the model role
        may read it. Default: no S3 permission is granted (the package must carry none).
    :param image_repository: the ECR repository of the package's image, so the model role
        may pull it. Default: no ECR permission (SageMaker-provided images need none).
    """

    def __init__(
        self,
        model_package_arn: str,
        *,
        artifact_bucket: s3.IBucket | None = None,
        image_repository: ecr.IRepository | None = None,
    ):
        self.model_package_arn = model_package_arn
        self.artifact_bucket = artifact_bucket
        self.image_repository = image_repository

    def _bind(self, scope: Construct) -> _Bound:
        if not is_token(self.model_package_arn):
            require(
                ":model-package/" in self.model_package_arn,
                scope,
                "model_package.model_package_arn",
                self.model_package_arn,
                "is not a model package version ARN",
                "pass arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>",
            )
        statements: list[iam.PolicyStatement] = []
        if self.artifact_bucket is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[self.artifact_bucket.arn_for_objects("*")]
                )
            )
        if self.image_repository is not None:
            statements.extend(_EcrImage(self.image_repository, "latest")._bind(scope).statements)
        return _Bound(self.model_package_arn, statements)


@runtime_checkable
class IModel(Protocol):
    """A SageMaker model that an endpoint variant can serve (:class:`Model` or an import)."""

    @property
    def node(self) -> Node:
        """The construct node."""

    @property
    def model_name(self) -> str:
        """The model's name."""

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The model's execution role, as a principal."""

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Give the model's execution role one more permission (no-op for imported models)."""


@jsii.implements(iam.IGrantable)
class Model(Construct):
    """A SageMaker model with its own least-privilege execution role.

    Give ``image`` and ``model_data``, or ``model_package`` (a Model Registry version).
    The execution role may read that data, pull that image, write endpoint logs and use the
    given key; pass ``role`` to use yours instead (the same policy is attached to it).

    :param image: the serving container image. Required unless ``model_package`` is given.
    :param model_data: the model artifact. Default: none (the image carries its model).
    :param model_package: a Model Registry package to serve instead of image + data.
    :param environment: container environment variables. Default: none.
    :param role: the execution role. Default: a new role that SageMaker can assume.
    :param model_data_key: the KMS key that encrypts the model data; the role may decrypt
        with it. Default: none (SSE-S3 or unencrypted data).
    :param vpc: run the container in this VPC. Default: no VPC.
    :param vpc_subnets: subnets to use in ``vpc``. Default: the private subnets.
    :param security_groups: security groups in ``vpc``. Default: one new group, no inbound
        rules.
    :param network_isolation: block all network calls from the container. Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage | None = None,
        model_data: ModelData | None = None,
        model_package: ModelPackage | None = None,
        environment: Mapping[str, str] | None = None,
        role: iam.IRole | None = None,
        model_data_key: kms.IKey | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        if model_package is not None and (image is not None or model_data is not None):
            raise InvalidPropsError(
                self,
                "model_package",
                model_package.model_package_arn,
                "was given together with image or model_data",
                "give either model_package, or image (+ model_data), not both",
            )
        if model_package is None and image is None:
            raise InvalidPropsError(
                self,
                "image",
                None,
                "is missing",
                "give image (and usually model_data), or a model_package",
            )
        _check_environment(self, environment)
        if vpc is None and (vpc_subnets is not None or security_groups):
            raise InvalidPropsError(
                self,
                "vpc",
                None,
                "is missing while vpc_subnets or security_groups are set",
                "pass the vpc the subnets and security groups belong to",
            )

        self.role: iam.IRole = role or iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of SageMaker model {self.node.path}",
        )
        self.grant_principal: iam.IPrincipal = self.role
        self.policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description=f"Least-privilege permissions of SageMaker model {self.node.path}",
            roles=[self.role],
        )
        # A new policy version per permission change: during an update the role holds the
        # old and the new version, so instances of the previous model can still start
        # (autoscaling, or a rollback); CloudFormation deletes the old one at cleanup.
        Aspects.of(self.policy).add(_VersionedLogicalId(self.policy))

        container: dict[str, object] = {}
        if model_package is not None:
            bound = model_package._bind(self)
            container["model_package_name"] = bound.value
            self._add_statements(bound.statements)
            if model_package.artifact_bucket is not None:
                self._acknowledge_wildcard_resource(
                    model_package.artifact_bucket.arn_for_objects("*"),
                    "The model package's artifact keys live in the Model Registry and are not "
                    "known at synth; the grant is read-only and limited to the given bucket.",
                )
        else:
            assert image is not None
            bound = image._bind(self)
            container["image"] = bound.value
            self._add_statements(bound.statements)
            if model_data is not None:
                data = model_data._bind(self)
                container["model_data_url"] = data.value
                self._add_statements(data.statements)
        if environment:
            container["environment"] = dict(environment)
        if model_data_key is not None:
            model_data_key.grant_decrypt(self.policy_grantee)
        log_statements = _log_statements(self)
        self._add_statements(log_statements)
        for statement in log_statements[:1]:
            for resource in statement.resources:
                self._acknowledge_wildcard_resource(
                    resource,
                    "SageMaker names an endpoint's log group after the endpoint, which is "
                    "created after the model; the grant is limited to SageMaker endpoint logs.",
                )

        vpc_config = None
        self.connections: ec2.Connections | None = None
        if vpc is not None:
            from aws_cdk import aws_ec2 as ec2

            groups = list(security_groups or []) or [
                ec2.SecurityGroup(
                    self,
                    "SecurityGroup",
                    vpc=vpc,
                    description=f"SageMaker model {self.node.path}",
                    allow_all_outbound=False,
                )
            ]
            self.connections = ec2.Connections(security_groups=groups)
            subnets = vpc.select_subnets(
                **(
                    _subnet_kwargs(vpc_subnets)
                    or {"subnet_type": ec2.SubnetType.PRIVATE_WITH_EGRESS}
                )
            )
            vpc_config = sagemaker.CfnModel.VpcConfigProperty(
                security_group_ids=[g.security_group_id for g in groups],
                subnets=subnets.subnet_ids,
            )
            self._add_statements(_vpc_statements())

        self._resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(**container),  # type: ignore[arg-type]
            enable_network_isolation=network_isolation or None,
            vpc_config=vpc_config,
        )
        # The model must not be created before its role can do its work.
        self._resource.node.add_dependency(self.policy)
        self.model_name: str = self._resource.attr_model_name

    @property
    def policy_grantee(self) -> iam.IGrantable:
        """A grantee whose grants land in the model's managed policy (not an inline policy)."""
        return _PolicyGrantee(self.policy, self.role)

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a statement to the model's managed execution policy."""
        self.policy.add_statements(statement)

    @staticmethod
    def from_model_name(
        scope: Construct, construct_id: str, model_name: str, *, role: iam.IRole | None = None
    ) -> IModel:
        """Import a model that already exists.

        :param model_name: its name.
        :param role: its execution role, if permissions should be added to it (for example
            to write data capture). Default: none; the library then adds no permissions.
        """
        imported = _ImportedModel(scope, construct_id, model_name, role)
        check_name(imported, "model_name", model_name)
        return imported

    def _add_statements(self, statements: Sequence[iam.PolicyStatement]) -> None:
        for statement in statements:
            self.policy.add_statements(statement)
        self._acknowledge_wildcards(statements)

    def _acknowledge_wildcards(self, statements: Sequence[iam.PolicyStatement]) -> None:
        for statement in statements:
            reason = _WILDCARD_REASONS.get(statement.actions[0])
            if reason is not None and "*" in statement.resources:
                acknowledge(self.policy, "AwsSolutions-IAM5[Resource::*]", reason)

    def _acknowledge_wildcard_resource(self, resource: str, reason: str) -> None:
        """Acknowledge the AwsSolutions-IAM5 finding of one wildcard resource of the policy.

        The finding id spells the resource as cdk-nag flattens it, e.g.
        ``arn:<AWS::Partition>:s3:::bucket/prefix/*`` or ``<BucketA1B2.Arn>/prefix/*``.
        """
        flat = _flatten_cfn(Stack.of(self.policy).resolve(resource))
        acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{flat}]", reason)


def _flatten_cfn(value: object) -> str:
    """Flatten a resolved CloudFormation value the way cdk-nag names its findings."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if value.get("Fn::Join"):
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(_flatten_cfn(item) for item in items)
        if value.get("Fn::Sub"):
            return _flatten_cfn(value["Fn::Sub"])
        if value.get("Fn::GetAtt"):
            resource, attribute = value["Fn::GetAtt"]
            return f"<{_flatten_cfn(resource)}.{_flatten_cfn(attribute)}>"
        if value.get("Fn::ImportValue"):
            return _flatten_cfn(value["Fn::ImportValue"])
        if value.get("Ref"):
            return f"<{_flatten_cfn(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_WILDCARD_REASONS = {
    "ecr:GetAuthorizationToken": "ecr:GetAuthorizationToken has no resource-level permissions; "
    "image pulls themselves are limited to the model's repository.",
    "cloudwatch:PutMetricData": "cloudwatch:PutMetricData has no resource-level permissions; "
    "the statement is limited to the /aws/sagemaker/ namespaces by condition.",
    "ec2:CreateNetworkInterface": "SageMaker creates and describes the VPC network interfaces "
    "of the model; these EC2 actions have no resource-level permissions.",
}


def _log_statements(scope: Construct) -> list[iam.PolicyStatement]:
    log_group_arn = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=ENDPOINT_LOG_GROUP_PREFIX + "*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    return [
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            resources=[log_group_arn, f"{log_group_arn}:log-stream:*"],
        ),
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        ),
    ]


def _vpc_statements() -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            actions=[
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            resources=["*"],
        )
    ]


def _subnet_kwargs(selection: ec2.SubnetSelection | None) -> dict[str, Any] | None:
    if selection is None:
        return None
    keys = ["availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets"]
    kwargs = {k: getattr(selection, k) for k in keys if getattr(selection, k, None) is not None}
    if selection.subnet_type is not None:
        kwargs["subnet_type"] = selection.subnet_type
    return kwargs


def _check_environment(scope: Construct, environment: Mapping[str, str] | None) -> None:
    for key, value in (environment or {}).items():
        if not isinstance(value, str):
            raise InvalidPropsError(
                scope,
                f"environment[{key!r}]",
                value,
                "is not a string",
                "pass every environment value as a string",
            )
        require(
            len(key) <= 1024 and len(value) <= 1024,
            scope,
            f"environment[{key!r}]",
            value,
            "is longer than 1024 characters",
            "shorten the key and value to at most 1024 characters each",
        )
    require(
        len(environment or {}) <= 100,
        scope,
        "environment",
        f"{len(environment or {})} entries",
        "has more than 100 entries",
        "pass at most 100 environment variables",
    )


@jsii.implements(IAspect)
class _VersionedLogicalId:
    """Give a managed policy a logical id that changes whenever its document changes."""

    def __init__(self, policy: iam.ManagedPolicy):
        self._policy = policy
        resource = policy.node.default_child
        assert isinstance(resource, CfnResource)
        self._resource = resource
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done or node.node.path != self._resource.node.path:
            return
        document = Stack.of(self._policy).resolve(self._policy.document)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        base = Stack.of(self._policy).resolve(self._resource.logical_id)
        self._resource.override_logical_id(f"{base}V{digest[:8].upper()}")
        self._done = True


@jsii.implements(iam.IGrantable)
class _PolicyGrantee:
    """Sends CDK ``grant_*`` statements to a managed policy instead of an inline policy."""

    def __init__(self, policy: iam.ManagedPolicy, role: iam.IRole):
        self._principal = _PolicyPrincipal(policy, role)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self._principal


@jsii.implements(iam.IPrincipal)
class _PolicyPrincipal:
    def __init__(self, policy: iam.ManagedPolicy, role: iam.IRole):
        self._policy = policy
        self._role = role

    @property
    def assume_role_action(self) -> str:
        return self._role.assume_role_action

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._role.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(
        self, statement: iam.PolicyStatement
    ) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)


@jsii.implements(iam.IGrantable)
class _ImportedModel(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, model_name: str, role: iam.IRole | None
    ):
        super().__init__(scope, construct_id)
        self._model_name = model_name
        self._role = role

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def grant_principal(self) -> iam.IPrincipal:
        if self._role is not None:
            return self._role
        return iam.UnknownPrincipal(resource=self)  # type: ignore[return-value]  # jsii stub gap

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        if self._role is not None:
            self._role.add_to_principal_policy(statement)
