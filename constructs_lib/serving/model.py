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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    """What a source contributes to a model's container: a CloudFormation value."""

    value: str


#: What SageMaker needs to pull a model's image with the model's execution role
#: ("CreateModel API: Execution Role Permissions"): these three on the image's repository,
#: and ``ecr:GetAuthorizationToken``, which has no resource-level permissions, on ``*``.
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)

#: An Amazon ECR image reference:
#: ``<account>.dkr.ecr[-fips].<region>.<suffix>/<repository>[:<tag>|@<digest>]``.
_ECR_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)"
    r"\.(?P<suffix>amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov)"
    r"/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?$"
)


class ContainerImage(abc.ABC):
    """The serving container image of a model.

    Every source grants the model's execution role the pull of exactly its image's
    repository (SageMaker pulls with that role, also for SageMaker-provided images in
    AWS-owned accounts), plus ``ecr:GetAuthorizationToken``.

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
    def from_image_uri(
        image_uri: str, *, repository: ecr.IRepository | None = None
    ) -> ContainerImage:
        """An Amazon ECR image given by its URI; the model role may pull only its repository.

        The repository is parsed from the URI
        (``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``). Pass
        ``repository`` when the URI is a token (a parameter, an import) or should be
        granted through a repository object instead.

        :param image_uri: a full ``registry/repository:tag`` or ``@sha256:`` reference.
        :param repository: the image's repository. Default: parsed from ``image_uri``.
        """
        return _UriImage(image_uri, repository)

    @staticmethod
    def from_sagemaker_image(
        repository: str, tag: str, registry_accounts: Mapping[str, str]
    ) -> ContainerImage:
        """A SageMaker-provided image, resolved per region with no network call at synth.

        The region-to-account table becomes a CloudFormation mapping when the stack is
        environment-agnostic, and is resolved directly when the region is known. The model
        role may pull that repository in the region's AWS-owned registry account.

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
    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        """Return the image reference and grant ``grantee`` the pull of its repository."""


def _grant_pull(grantee: iam.IGrantable, repository_arn: str) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee, actions=list(ECR_PULL_ACTIONS), resource_arns=[repository_arn]
    )
    iam.Grant.add_to_principal(
        grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"]
    )


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag: str):
        self._repository = repository
        self._tag = tag

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        self._repository.grant_pull(grantee)
        return _Bound(self._repository.repository_uri_for_tag_or_digest(self._tag))


class _UriImage(ContainerImage):
    def __init__(self, image_uri: str, repository: ecr.IRepository | None):
        self._uri = image_uri
        self._repository = repository

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        if not is_token(self._uri):
            require(
                "/" in self._uri and " " not in self._uri and len(self._uri) <= 255,
                scope,
                "image",
                self._uri,
                "is not a container image reference",
                "pass 'registry/repository:tag' (at most 255 characters)",
            )
        if self._repository is not None:
            self._repository.grant_pull(grantee)
            return _Bound(self._uri)
        match = None if is_token(self._uri) else _ECR_IMAGE_URI.match(self._uri)
        if match is None:
            raise InvalidPropsError(
                scope,
                "image",
                self._uri,
                "is not an Amazon ECR image URI the model role can be granted to pull "
                "(SageMaker pulls with the model's execution role)",
                "pass ContainerImage.from_image_uri(uri, repository=ecr.Repository."
                "from_repository_arn(...)), or use ContainerImage.from_ecr_repository",
            )
        region = match["region"]
        partition = (
            "aws-cn"
            if match["suffix"].endswith(".cn")
            else "aws-us-gov"
            if region.startswith("us-gov-")
            else "aws-iso"
            if match["suffix"] == "c2s.ic.gov"
            else "aws-iso-b"
            if match["suffix"] == "sc2s.sgov.gov"
            else "aws"
        )
        arn = f"arn:{partition}:ecr:{region}:{match['account']}:repository/{match['repository']}"
        _grant_pull(grantee, arn)
        return _Bound(self._uri)


class _SageMakerImage(ContainerImage):
    def __init__(self, repository: str, tag: str, accounts: dict[str, str]):
        self._repository = repository
        self._tag = tag
        self._accounts = accounts

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        stack = Stack.of(scope)
        account = self._registry_account(scope, stack)
        # The image lives in an AWS-owned account; the model role still pulls it.
        _grant_pull(
            grantee,
            stack.format_arn(
                service="ecr",
                account=account,
                resource="repository",
                resource_name=self._repository,
            ),
        )
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

    def _registry_account(self, scope: Construct, stack: Stack) -> str:
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
            return account
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
        return mapping.find_in_map(Aws.REGION, "account")


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
    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        """Return the artifact's S3 URL and grant ``grantee`` the read of that object."""


class _BucketData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str):
        self._bucket = bucket
        self._key = key

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        if not is_token(self._key):
            require(
                bool(self._key) and not self._key.startswith("/"),
                scope,
                "model_data.key",
                self._key,
                "is not an S3 object key",
                "pass the key without a leading '/', e.g. 'models/churn/model.tar.gz'",
            )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:GetObject"],
            resource_arns=[self._bucket.arn_for_objects(self._key)],
        )
        return _Bound(self._bucket.s3_url_for_object(self._key))


class _AssetData(ModelData):
    def __init__(self, path: str):
        self._path = path

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        asset = s3_assets.Asset(scope, "ModelData", path=self._path)
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:GetObject"],
            resource_arns=[asset.bucket.arn_for_objects(asset.s3_object_key)],
        )
        return _Bound(asset.s3_object_url)


class ModelPackage:
    """A versioned package from the SageMaker Model Registry, served instead of image + data.

    SageMaker creates the model's containers from the package's inference specification
    and pulls their images with the model's execution role, so the role must be granted
    the pull of each image the package names: pass them as ``images`` (for a package
    trained with the SageMaker scikit-learn image, ``[ContainerImage.sagemaker_scikit_learn()]``).

    :param model_package_arn: the model package version ARN.
    :param images: the images of the package's inference containers; the model role may
        pull exactly their repositories. Required, at least one.
    :param artifact_bucket: the bucket holding the package's model data, so the model role
        may read it. Default: no S3 permission is granted (the package must carry none).
    """

    def __init__(
        self,
        model_package_arn: str,
        *,
        images: Sequence[ContainerImage],
        artifact_bucket: s3.IBucket | None = None,
    ):
        self.model_package_arn = model_package_arn
        self.images = tuple(images)
        self.artifact_bucket = artifact_bucket

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> _Bound:
        if not is_token(self.model_package_arn):
            require(
                ":model-package/" in self.model_package_arn,
                scope,
                "model_package.model_package_arn",
                self.model_package_arn,
                "is not a model package version ARN",
                "pass arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>",
            )
        require(
            bool(self.images) and all(isinstance(i, ContainerImage) for i in self.images),
            scope,
            "model_package.images",
            list(self.images),
            "names no ContainerImage, so the model role could not pull the package's "
            "containers (SageMaker pulls them with the model's execution role)",
            "pass the images of the package's inference specification, e.g. "
            "images=[ContainerImage.sagemaker_scikit_learn()]",
        )
        for image in self.images:
            image._bind(scope, grantee)
        if self.artifact_bucket is not None:
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:GetObject"],
                resource_arns=[self.artifact_bucket.arn_for_objects("*")],
            )
        return _Bound(self.model_package_arn)


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
        grantee = self.policy_grantee
        if model_package is not None:
            container["model_package_name"] = model_package._bind(self, grantee).value
            if model_package.artifact_bucket is not None:
                self._acknowledge_wildcard_resource(
                    model_package.artifact_bucket.arn_for_objects("*"),
                    "The model package's artifact keys live in the Model Registry and are not "
                    "known at synth; the grant is read-only and limited to the given bucket.",
                )
        else:
            assert image is not None
            container["image"] = image._bind(self, grantee).value
            if model_data is not None:
                container["model_data_url"] = model_data._bind(self, grantee).value
        if environment:
            container["environment"] = dict(environment)
        if model_data_key is not None:
            model_data_key.grant_decrypt(grantee)
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
        #: Whether the container runs with network isolation (no outbound calls).
        self.network_isolation: bool = network_isolation
        #: The VPC the container runs in, or None.
        self.vpc: ec2.IVpc | None = vpc

    @property
    def policy_grantee(self) -> iam.IGrantable:
        """A grantee whose grants land in the model's managed policy (not an inline policy)."""
        return _PolicyGrantee(self.policy, self.role, self._acknowledge_wildcards)

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

    def __init__(
        self,
        policy: iam.ManagedPolicy,
        role: iam.IRole,
        on_added: Callable[[Sequence[iam.PolicyStatement]], None],
    ):
        self._principal = _PolicyPrincipal(policy, role, on_added)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self._principal


@jsii.implements(iam.IPrincipal)
class _PolicyPrincipal:
    def __init__(
        self,
        policy: iam.ManagedPolicy,
        role: iam.IRole,
        on_added: Callable[[Sequence[iam.PolicyStatement]], None],
    ):
        self._policy = policy
        self._role = role
        self._on_added = on_added

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
        self._on_added([statement])
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
