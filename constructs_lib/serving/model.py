"""SageMaker models: where the container and the weights come from, and who may read them.

:class:`Model` creates an ``AWS::SageMaker::Model`` with its own least-privilege execution
role: it may read exactly the model data it serves, pull exactly its image, write its
endpoint logs and decrypt with the key of its data. Nothing else, and no AWS managed
policy. The model has no fixed physical name, so a new image or new weights create a new
model and the endpoint that serves it is updated in place.

Image and model-data sources are open extension points, as in aws-cdk's
``aws-sagemaker-alpha``: subclass :class:`ContainerImage` or :class:`ModelData` and
implement ``bind``, which grants the model's role what the source needs and returns a
:class:`ContainerImageConfig` or :class:`ModelDataConfig`.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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

from constructs_lib.core import (
    InvalidPropsError,
    acknowledge,
    check_name,
    is_token,
    pascal_case,
    require,
)
from constructs_lib.serving._image_accounts import (
    SKLEARN_IMAGE_REPOSITORY,
    SKLEARN_IMAGE_TAG,
    SKLEARN_XGBOOST_REGISTRY_ACCOUNTS,
)
from constructs_lib.serving.facts import ENDPOINT_LOG_GROUP_PREFIX

if TYPE_CHECKING:  # aws_ec2 is large; it is imported only for models in a VPC.
    from aws_cdk import aws_ec2 as ec2

__all__ = [
    "ContainerImage",
    "ContainerImageConfig",
    "IModel",
    "Model",
    "ModelData",
    "ModelDataConfig",
    "ModelPackage",
]

#: An Amazon ECR image reference:
#: ``<account>.dkr.ecr[-fips].<region>.<suffix>/<repository>[:<tag>|@<digest>]``.
_ECR_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)"
    r"\.(?P<suffix>amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov)"
    r"/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?$"
)


@dataclass(frozen=True)
class ContainerImageConfig:
    """What an image source gives a model once bound (see :meth:`ContainerImage.bind`).

    :param image_name: the image reference SageMaker pulls, the container's ``Image``
        (``registry/repository:tag`` or ``@sha256:`` digest; may be a token).
    """

    image_name: str


class ContainerImage(abc.ABC):
    """The serving container image of a model.

    SageMaker pulls the image with the model's execution role, also for SageMaker-provided
    images in AWS-owned accounts, so every source grants that role the pull of exactly its
    image's repository (CDK's ``repository.grant_pull``: the three pull actions on the
    repository, plus ``ecr:GetAuthorizationToken``, which has no resource-level permission).

    Use a static factory: :meth:`from_ecr_repository`, :meth:`from_image_uri`,
    :meth:`from_asset`, :meth:`from_sagemaker_image` or :meth:`sagemaker_scikit_learn`.
    To add a source of your own, subclass and implement :meth:`bind`.
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
    def from_asset(directory: str, **docker_image_asset_kwargs: Any) -> ContainerImage:
        """An image built from a local directory with a Dockerfile, as a CDK asset.

        ``cdk synth`` only stages the directory; the image is built and pushed to the CDK
        bootstrap's container-asset repository at deploy (``cdk deploy`` or a pipeline's
        asset stage needs Docker). The model role may pull from that repository.

        :param directory: the Docker build context, holding the ``Dockerfile``.
        :param docker_image_asset_kwargs: further ``aws_ecr_assets.DockerImageAsset`` props
            (``file``, ``build_args``, ``platform``, ``target``, ...). Default: none.
        """
        return _AssetImage(directory, dict(docker_image_asset_kwargs))

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
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        """Give the model its image, and ``grantee`` the pull of exactly that image.

        Called once per model that uses the image (or per model package naming it).
        Implementations create what they need in ``scope`` (for instance an asset or a
        repository import), grant ``grantee`` the pull of the image's repository (e.g.
        ``repository.grant_pull(grantee)``) and return the image reference. Raise
        :class:`~constructs_lib.core.InvalidPropsError` for a reference SageMaker would
        refuse.

        :param scope: the model construct; children created here are the model's.
        :param grantee: the model's execution role, whose grants land in the model's
            managed execution policy.
        :returns: the image reference of the model's container.
        """


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag: str):
        self._repository = repository
        self._tag = tag

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        self._repository.grant_pull(grantee)
        return ContainerImageConfig(self._repository.repository_uri_for_tag_or_digest(self._tag))


class _UriImage(ContainerImage):
    def __init__(self, image_uri: str, repository: ecr.IRepository | None):
        self._uri = image_uri
        self._repository = repository

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        if not is_token(self._uri):
            require(
                "/" in self._uri and " " not in self._uri and len(self._uri) <= 255,
                scope,
                "image",
                self._uri,
                "is not a container image reference",
                "pass 'registry/repository:tag' (at most 255 characters)",
            )
        repository = self._repository or ecr.Repository.from_repository_arn(
            scope, _free_id(scope, "ImageRepository"), self._repository_arn(scope)
        )
        repository.grant_pull(grantee)
        return ContainerImageConfig(self._uri)

    def _repository_arn(self, scope: Construct) -> str:
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
        region, suffix = match["region"], match["suffix"]
        partition = (
            "aws-cn"
            if suffix.endswith(".cn")
            else "aws-us-gov"
            if region.startswith("us-gov-")
            else "aws-iso"
            if suffix == "c2s.ic.gov"
            else "aws-iso-b"
            if suffix == "sc2s.sgov.gov"
            else "aws"
        )
        return f"arn:{partition}:ecr:{region}:{match['account']}:repository/{match['repository']}"


class _AssetImage(ContainerImage):
    def __init__(self, directory: str, options: dict[str, Any]):
        self._directory = directory
        self._options = options

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        from aws_cdk import aws_ecr_assets as ecr_assets

        dockerfile = Path(self._directory) / str(self._options.get("file") or "Dockerfile")
        require(
            dockerfile.is_file(),
            scope,
            "image",
            str(dockerfile),
            "does not exist, so the image asset cannot be built",
            "pass the Docker build context that holds the Dockerfile (or file=<its path "
            "inside the directory>)",
        )
        asset = ecr_assets.DockerImageAsset(
            scope, _free_id(scope, "ImageAsset"), directory=self._directory, **self._options
        )
        asset.repository.grant_pull(grantee)
        return ContainerImageConfig(asset.image_uri)


class _SageMakerImage(ContainerImage):
    def __init__(self, repository: str, tag: str, accounts: dict[str, str]):
        self._repository = repository
        self._tag = tag
        self._accounts = accounts

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        stack = Stack.of(scope)
        account = self._registry_account(scope, stack)
        # The image lives in an AWS-owned account; the model role still pulls it.
        ecr.Repository.from_repository_attributes(
            scope,
            _free_id(scope, "ImageRepository"),
            repository_arn=stack.format_arn(
                service="ecr",
                account=account,
                resource="repository",
                resource_name=self._repository,
            ),
            repository_name=self._repository,
        ).grant_pull(grantee)
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
        return ContainerImageConfig(uri)

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
        mapping_id = "SageMakerImageRegistry" + pascal_case(self._repository)
        mapping = stack.node.try_find_child(mapping_id)
        if mapping is None:
            mapping = CfnMapping(
                stack,
                mapping_id,
                mapping={r: {"account": a} for r, a in sorted(self._accounts.items())},
            )
        assert isinstance(mapping, CfnMapping)
        return mapping.find_in_map(Aws.REGION, "account")


def _free_id(scope: Construct, base: str) -> str:
    """``base``, else ``base2``, ``base3``...: the first child id not taken in ``scope``.

    For children with no CloudFormation resource (imports, assets), when one model binds
    several sources (a model package naming several images).
    """
    candidate, number = base, 1
    while scope.node.try_find_child(candidate) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate


@dataclass(frozen=True)
class ModelDataConfig:
    """What a model-data source gives a model once bound (see :meth:`ModelData.bind`).

    :param uri: the S3 URL of the ``model.tar.gz``, the container's ``ModelDataUrl``
        (``s3://bucket/key``; may be a token).
    """

    uri: str


class ModelData(abc.ABC):
    """Where a model's weights (a ``model.tar.gz``) come from.

    Use :meth:`from_bucket` or :meth:`from_asset`. To add a source of your own, subclass
    and implement :meth:`bind`.
    """

    @staticmethod
    def from_bucket(
        bucket: s3.IBucket, key: str, *, encryption_key: kms.IKey | None = None
    ) -> ModelData:
        """An object in an S3 bucket; the model role may read only that object.

        :param bucket: the bucket holding the artifact.
        :param key: the object key of the ``.tar.gz`` artifact.
        :param encryption_key: the KMS key that encrypts the object; the model role may
            decrypt with it (``key.grant_decrypt``). Default: ``bucket.encryption_key``
            (none for SSE-S3 buckets, and for imported buckets not given one).
        """
        return _BucketData(bucket, key, encryption_key)

    @staticmethod
    def from_asset(path: str) -> ModelData:
        """A local ``.tar.gz`` file uploaded as a CDK asset at deploy time.

        :param path: path to the artifact file.
        """
        return _AssetData(path)

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        """Give the model its data, and ``grantee`` the read of exactly that data.

        Called once per model that uses the data. Implementations create what they need in
        ``scope``, grant ``grantee`` the read of the artifact (and the decrypt of its key)
        and return its S3 URL.

        :param scope: the model construct; children created here are the model's.
        :param grantee: the model's execution role, whose grants land in the model's
            managed execution policy.
        :returns: the S3 URL of the model artifact.
        """


class _BucketData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str, encryption_key: kms.IKey | None):
        self._bucket = bucket
        self._key = key
        self._encryption_key = encryption_key

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        if not is_token(self._key):
            require(
                bool(self._key) and not self._key.startswith("/"),
                scope,
                "model_data.key",
                self._key,
                "is not an S3 object key",
                "pass the key without a leading '/', e.g. 'models/churn/model.tar.gz'",
            )
        _grant_get_object(grantee, self._bucket.arn_for_objects(self._key))
        key = self._encryption_key or self._bucket.encryption_key
        if key is not None:
            key.grant_decrypt(grantee)
        return ModelDataConfig(self._bucket.s3_url_for_object(self._key))


class _AssetData(ModelData):
    def __init__(self, path: str):
        self._path = path

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        # SageMaker downloads one model.tar.gz: a directory would be zipped, not tarred.
        require(
            os.path.isfile(self._path),
            scope,
            "model_data",
            self._path,
            "is not an existing file",
            "pass the path of a model.tar.gz (relative paths are read from the current directory)",
        )
        asset = s3_assets.Asset(scope, "ModelData", path=self._path)
        _grant_get_object(grantee, asset.bucket.arn_for_objects(asset.s3_object_key))
        return ModelDataConfig(asset.s3_object_url)


def _grant_get_object(grantee: iam.IGrantable, object_arn: str) -> iam.Grant:
    """Allow exactly ``s3:GetObject`` on ``object_arn``: what SageMaker reads model data with.

    CDK has no grant this narrow: ``bucket.grant_read(grantee, key)`` also allows
    ``s3:GetObject*``, ``s3:GetBucket*`` and ``s3:List*`` on the bucket.
    """
    return iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:GetObject"], resource_arns=[object_arn]
    )


class ModelPackage:
    """A versioned package from the SageMaker Model Registry, served instead of image + data.

    SageMaker creates the model's containers from the package's inference specification
    and pulls their images with the model's execution role, so the role must be granted
    the pull of each image the package names: pass them as ``images`` (for a package
    trained with the SageMaker scikit-learn image, ``[ContainerImage.sagemaker_scikit_learn()]``).
    Each image is bound like a model's own (:meth:`ContainerImage.bind`).

    :param model_package_arn: the model package version ARN.
    :param images: the images of the package's inference containers; the model role may
        pull exactly their repositories. Required, at least one.
    :param artifact_bucket: the bucket holding the package's model data, so the model role
        may read it, and decrypt with ``artifact_bucket.encryption_key`` if it has one.
        Default: no S3 permission is granted (the package must carry none).
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

    def _bind(self, scope: Construct, grantee: iam.IGrantable) -> str:
        """Check the package, grant ``grantee`` its images and data; return its ARN."""
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
            image.bind(scope, grantee)
        if self.artifact_bucket is not None:
            # The package's artifact keys live in the Model Registry: every object.
            _grant_get_object(grantee, self.artifact_bucket.arn_for_objects("*"))
            if self.artifact_bucket.encryption_key is not None:
                self.artifact_bucket.encryption_key.grant_decrypt(grantee)
        return self.model_package_arn


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
    The execution role may read that data (and decrypt it with its key), pull that image
    and write endpoint logs; pass ``role`` to use yours instead (the same policy is attached
    to it).

    :param image: the serving container image. Required unless ``model_package`` is given.
    :param model_data: the model artifact; its KMS key, if any, comes with it
        (``ModelData.from_bucket(..., encryption_key=...)``). Default: none (the image
        carries its model).
    :param model_package: a Model Registry package to serve instead of image + data.
    :param environment: container environment variables. Default: none.
    :param role: the execution role. Default: a new role that SageMaker can assume.
    :param vpc: run the container in this VPC. Default: no VPC.
    :param vpc_subnets: subnets to use in ``vpc``. Default: the private subnets.
    :param security_groups: security groups in ``vpc``. Default: one new group, no inbound
        rules.
    :param network_isolation: block all network calls from the container. Default: False.

    Attributes: ``model_name``, ``role``, ``grant_principal``, ``policy``,
    ``policy_grantee``, ``connections``, ``network_isolation`` and ``vpc``.
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
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self._configure_role(role)
        container = self._configure_container(image, model_data, model_package, environment)
        self._configure_logging()
        vpc_config = self._configure_vpc(vpc, vpc_subnets, security_groups)
        self._configure_resource(container, vpc_config, network_isolation)

    def _configure_role(self, role: iam.IRole | None) -> None:
        """The execution role (given or new) and its content-versioned managed policy."""
        #: The execution role SageMaker assumes to run the model's containers.
        self.role: iam.IRole = role or iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of SageMaker model {self.node.path}",
        )
        #: The execution role, as a principal.
        self.grant_principal: iam.IPrincipal = self.role
        #: The managed policy that holds every permission of the execution role.
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

    def _configure_container(
        self,
        image: ContainerImage | None,
        model_data: ModelData | None,
        model_package: ModelPackage | None,
        environment: Mapping[str, str] | None,
    ) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        """Bind the image and data (or the package): their grants land in the policy."""
        _check_sources(self, image, model_data, model_package)
        _check_environment(self, environment)
        grantee = self.policy_grantee
        if model_package is not None:
            package_arn = model_package._bind(self, grantee)
            if model_package.artifact_bucket is not None:
                self._acknowledge_wildcard_resource(
                    model_package.artifact_bucket.arn_for_objects("*"),
                    "The model package's artifact keys live in the Model Registry and are not "
                    "known at synth; the grant is read-only and limited to the given bucket.",
                )
            return sagemaker.CfnModel.ContainerDefinitionProperty(
                model_package_name=package_arn, environment=_environment(environment)
            )
        assert image is not None
        image_name = image.bind(self, grantee).image_name
        data_url = model_data.bind(self, grantee).uri if model_data is not None else None
        return sagemaker.CfnModel.ContainerDefinitionProperty(
            image=image_name, model_data_url=data_url, environment=_environment(environment)
        )

    def _configure_logging(self) -> None:
        """Let the containers write their endpoint's logs and SageMaker metrics."""
        log_statements = _log_statements(self)
        self._add_statements(log_statements)
        for statement in log_statements[:1]:
            for resource in statement.resources:
                self._acknowledge_wildcard_resource(
                    resource,
                    "SageMaker names an endpoint's log group after the endpoint, which is "
                    "created after the model; the grant is limited to SageMaker endpoint logs.",
                )

    def _configure_vpc(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> sagemaker.CfnModel.VpcConfigProperty | None:
        """Security groups, subnets and network-interface permissions of a VPC model."""
        _check_vpc(self, vpc, vpc_subnets, security_groups)
        #: The VPC the container runs in, or None.
        self.vpc: ec2.IVpc | None = vpc
        #: The model's security groups in ``vpc`` (None outside a VPC).
        self.connections: ec2.Connections | None = None
        if vpc is None:
            return None
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
            **(_subnet_kwargs(vpc_subnets) or {"subnet_type": ec2.SubnetType.PRIVATE_WITH_EGRESS})
        )
        self._add_statements(_vpc_statements())
        return sagemaker.CfnModel.VpcConfigProperty(
            security_group_ids=[g.security_group_id for g in groups],
            subnets=subnets.subnet_ids,
        )

    def _configure_resource(
        self,
        container: sagemaker.CfnModel.ContainerDefinitionProperty,
        vpc_config: sagemaker.CfnModel.VpcConfigProperty | None,
        network_isolation: bool,
    ) -> None:
        """The ``AWS::SageMaker::Model``, created once its policy is in place."""
        self._resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self.role.role_arn,
            primary_container=container,
            enable_network_isolation=network_isolation or None,
            vpc_config=vpc_config,
        )
        # The model must not be created before its role can do its work.
        self._resource.node.add_dependency(self.policy)
        #: The model's name (generated by CloudFormation).
        self.model_name: str = self._resource.attr_model_name
        #: Whether the container runs with network isolation (no outbound calls).
        self.network_isolation: bool = network_isolation

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


def _check_sources(
    scope: Construct,
    image: ContainerImage | None,
    model_data: ModelData | None,
    model_package: ModelPackage | None,
) -> None:
    if model_package is not None and (image is not None or model_data is not None):
        raise InvalidPropsError(
            scope,
            "model_package",
            model_package.model_package_arn,
            "was given together with image or model_data",
            "give either model_package, or image (+ model_data), not both",
        )
    if model_package is None and image is None:
        raise InvalidPropsError(
            scope,
            "image",
            None,
            "is missing",
            "give image (and usually model_data), or a model_package",
        )


def _check_vpc(
    scope: Construct,
    vpc: ec2.IVpc | None,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> None:
    if vpc is None and (vpc_subnets is not None or security_groups):
        raise InvalidPropsError(
            scope,
            "vpc",
            None,
            "is missing while vpc_subnets or security_groups are set",
            "pass the vpc the subnets and security groups belong to",
        )


def _environment(environment: Mapping[str, str] | None) -> dict[str, str] | None:
    """The container's ``Environment``: omitted when empty."""
    return dict(environment) if environment else None


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
