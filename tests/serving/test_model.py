"""Model: image and weight sources, least-privilege execution policy, VPC and imports."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    ContainerImage,
    Endpoint,
    Model,
    ModelData,
    ModelPackage,
)
from constructs_lib.serving._image_accounts import SKLEARN_XGBOOST_REGISTRY_ACCOUNTS
from constructs_lib.serving.model import ContainerImageConfig, ModelDataConfig
from tests.iam_checks import Place, image_pull_problems

from .builders import (
    ACCOUNT,
    BUCKET_NAME,
    IMAGE_URI,
    MODEL_ARTIFACT,
    artifact_bucket,
    as_list,
    assert_names,
    flat,
    get_att,
    logical_id,
    new_app,
    new_model,
    new_stack,
    ref,
    variant,
)

PACKAGE_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"
SKLEARN_SUFFIX = "/sagemaker-scikit-learn:1.2-1-cpu-py3"
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECR_TOKEN = {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"}
DIGEST = "sha256:" + "b" * 64


class DigestPinnedImage(ContainerImage):
    """A user's own image source: one image of a repository, pinned by digest."""

    def __init__(self, repository_name: str, digest: str) -> None:
        self.repository_name = repository_name
        self.digest = digest
        self.bound_to: list[str] = []

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        repository = ecr.Repository.from_repository_name(
            scope, "PinnedRepository", self.repository_name
        )
        repository.grant_pull(grantee)
        self.bound_to.append(scope.node.path)
        return ContainerImageConfig(repository.repository_uri_for_digest(self.digest))


class TeamBucketData(ModelData):
    """A user's own model-data source: the team's artifact of one model."""

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        bucket = s3.Bucket.from_bucket_name(scope, "TeamBucket", "team-artifacts")
        bucket.grant_read(grantee, "churn/model.tar.gz")
        return ModelDataConfig(bucket.s3_url_for_object("churn/model.tar.gz"))


@dataclass
class Built:
    """The synthesized model stacks and the constructs the tests look up."""

    models: dict[str, Model]
    main: Template
    main_json: dict[str, Any]
    regional: Template
    regional_json: dict[str, Any]
    regional_model: Model
    own_role: Template
    own_role_model: Model
    user_role: iam.Role
    keys: Template
    key_models: dict[str, Model]
    data_key: kms.Key
    bucket_key: kms.Key
    imported: Template
    extensions: Template
    extensions_json: dict[str, Any]
    extension_models: dict[str, Model]
    pinned: DigestPinnedImage
    asset_manifest: dict[str, Any]


def main_models(stack: cdk.Stack) -> dict[str, Model]:
    bucket = artifact_bucket(stack)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn")
    return {
        "ecr": Model(
            stack,
            "EcrModel",
            image=ContainerImage.from_ecr_repository(repo, "v7"),
            model_data=ModelData.from_bucket(bucket, "models/churn/model.tar.gz"),
        ),
        "uri": new_model(stack, "UriModel", data_key=None),
        "sklearn": Model(
            stack,
            "SklearnModel",
            image=ContainerImage.sagemaker_scikit_learn(),
            model_data=ModelData.from_asset(str(MODEL_ARTIFACT)),
        ),
        "package": Model(
            stack,
            "PackageModel",
            model_package=ModelPackage(
                PACKAGE_ARN, images=[ContainerImage.sagemaker_scikit_learn()]
            ),
        ),
        "package_grants": Model(
            stack,
            "PackageGrantsModel",
            model_package=ModelPackage(
                PACKAGE_ARN,
                images=[ContainerImage.from_ecr_repository(repo, "v7")],
                artifact_bucket=bucket,
            ),
        ),
        "uri_with_repository": Model(
            stack,
            "UriWithRepositoryModel",
            image=ContainerImage.from_image_uri(
                cdk.CfnParameter(stack, "ImageUri").value_as_string,
                repository=ecr.Repository.from_repository_name(stack, "OtherRepo", "scoring"),
            ),
        ),
        "env": new_model(
            stack,
            "EnvModel",
            environment={"SAGEMAKER_PROGRAM": "inference.py", "LOG_LEVEL": "INFO"},
        ),
        **vpc_models(stack),
        "isolated": new_model(stack, "IsolatedModel", network_isolation=True),
    }


def vpc_models(stack: cdk.Stack) -> dict[str, Model]:
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
    )
    user_group = ec2.SecurityGroup.from_security_group_id(stack, "UserGroup", "sg-0123abcd")
    return {
        "vpc": new_model(stack, "VpcModel", vpc=vpc),
        "vpc_own_group": new_model(
            stack,
            "VpcOwnGroupModel",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[user_group],
        ),
    }


def key_models(stack: cdk.Stack, data_key: kms.IKey, bucket_key: kms.IKey) -> dict[str, Model]:
    kms_bucket = s3.Bucket.from_bucket_attributes(
        stack, "KmsBucket", bucket_name="kms-artifacts", encryption_key=bucket_key
    )
    return {
        "given_key": new_model(
            stack,
            "GivenKeyModel",
            model_data=ModelData.from_bucket(
                artifact_bucket(stack), "models/churn/model.tar.gz", encryption_key=data_key
            ),
        ),
        "bucket_key": new_model(
            stack,
            "BucketKeyModel",
            model_data=ModelData.from_bucket(kms_bucket, "models/churn/model.tar.gz"),
        ),
        "package_bucket_key": Model(
            stack,
            "PackageBucketKeyModel",
            model_package=ModelPackage(
                PACKAGE_ARN,
                images=[ContainerImage.sagemaker_scikit_learn()],
                artifact_bucket=kms_bucket,
            ),
        ),
    }


def extension_models(
    stack: cdk.Stack, pinned: DigestPinnedImage, docker_dir: Path
) -> dict[str, Model]:
    return {
        "asset": Model(
            stack,
            "AssetModel",
            image=ContainerImage.from_asset(str(docker_dir), build_args={"PYTHON": "3.11"}),
        ),
        "custom": Model(stack, "CustomModel", image=pinned, model_data=TeamBucketData()),
        "custom_package": Model(
            stack, "CustomPackageModel", model_package=ModelPackage(PACKAGE_ARN, images=[pinned])
        ),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    app = new_app()
    stack = new_stack(app, "Models")
    models = main_models(stack)

    regional_stack = new_stack(app, "Regional", region="eu-west-1")
    regional_model = Model(
        regional_stack, "SklearnModel", image=ContainerImage.sagemaker_scikit_learn()
    )

    own_stack = new_stack(app, "OwnRole")
    user_role = iam.Role(
        own_stack, "UserRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    own_role_model = new_model(own_stack, "Model", role=user_role)

    keys_stack = new_stack(app, "Keys")
    data_key = kms.Key(keys_stack, "DataKey", enable_key_rotation=True)
    bucket_key = kms.Key(keys_stack, "BucketKey", enable_key_rotation=True)
    with_keys = key_models(keys_stack, data_key, bucket_key)

    imported_stack = new_stack(app, "Imported")
    existing = Model.from_model_name(imported_stack, "Existing", "churn-model-2024-06")
    Endpoint(imported_stack, "Endpoint", variants=[variant("main", existing)])

    docker_dir = tmp_path_factory.mktemp("image")
    (docker_dir / "Dockerfile").write_text("ARG PYTHON\nFROM python:${PYTHON}-slim\n")
    extensions_stack = new_stack(app, "Extensions")
    pinned = DigestPinnedImage("team/churn", DIGEST)
    extensions = extension_models(extensions_stack, pinned, docker_dir)

    main = Template.from_stack(stack)
    regional = Template.from_stack(regional_stack)
    extensions_template = Template.from_stack(extensions_stack)
    assembly = app.synth()
    manifest = Path(assembly.directory) / f"{extensions_stack.artifact_id}.assets.json"
    return Built(
        models=models,
        main=main,
        main_json=dict(main.to_json()),
        regional=regional,
        regional_json=dict(regional.to_json()),
        regional_model=regional_model,
        own_role=Template.from_stack(own_stack),
        own_role_model=own_role_model,
        user_role=user_role,
        keys=Template.from_stack(keys_stack),
        key_models=with_keys,
        data_key=data_key,
        bucket_key=bucket_key,
        imported=Template.from_stack(imported_stack),
        extensions=extensions_template,
        extensions_json=dict(extensions_template.to_json()),
        extension_models=extensions,
        pinned=pinned,
        asset_manifest=json.loads(manifest.read_text()),
    )


def model_props(template: Template, model: Model) -> dict[str, Any]:
    """The Properties of the model's ``AWS::SageMaker::Model``."""
    found = template.find_resources("AWS::SageMaker::Model")
    return found[logical_id(model)]["Properties"]  # type: ignore[no-any-return]


def container(template: Template, model: Model) -> dict[str, Any]:
    return model_props(template, model)["PrimaryContainer"]  # type: ignore[no-any-return]


def statements(template: Template, model: Model) -> list[dict[str, Any]]:
    """The statements of the model's managed execution policy."""
    policy = template.find_resources("AWS::IAM::ManagedPolicy")[logical_id(model.policy)]
    return policy["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def assert_policy_has(template: Template, model: Model, *expected: Any) -> None:
    """The model's own managed policy holds ``expected`` statements (exactly, in order)."""
    found = template.find_resources(
        "AWS::IAM::ManagedPolicy",
        {
            "Properties": {
                "Roles": [ref(model.role)],
                "PolicyDocument": {"Statement": Match.array_with(list(expected))},
            }
        },
    )
    assert list(found) == [logical_id(model.policy)]


def statements_with(template: Template, model: Model, action: str) -> list[dict[str, Any]]:
    """The model's policy statements that allow ``action``."""
    return [s for s in statements(template, model) if action in as_list(s["Action"])]


def actions_of(template: Template, model: Model) -> set[str]:
    return {a for s in statements(template, model) for a in as_list(s["Action"])}


def pull(resource: Any) -> dict[str, Any]:
    """The statement that lets a role pull images from the repository ``resource``."""
    return {"Action": ECR_PULL, "Effect": "Allow", "Resource": resource}


def resolve(construct: Construct, value: Any) -> Any:
    return cdk.Stack.of(construct).resolve(value)


# -- images ------------------------------------------------------------------------------


def test_ecr_image_is_tagged_uri_of_that_repository(built: Built) -> None:
    image = flat(container(built.main, built.models["ecr"])["Image"])
    assert image == "<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/churn:v7"


def test_ecr_pull_is_limited_to_the_repository_plus_token(built: Built) -> None:
    model = built.models["ecr"]
    (statement,) = statements_with(built.main, model, "ecr:BatchGetImage")
    assert set(statement["Action"]) == set(ECR_PULL)
    assert flat(statement["Resource"]) == (
        "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/churn"
    )
    assert statements_with(built.main, model, "ecr:GetAuthorizationToken") == [ECR_TOKEN]
    # No other ECR permission anywhere in the policy.
    assert {a for a in actions_of(built.main, model) if a.startswith("ecr:")} == {
        *ECR_PULL,
        "ecr:GetAuthorizationToken",
    }


def test_image_uri_grants_pull_of_the_repository_parsed_from_the_uri(built: Built) -> None:
    model = built.models["uri"]
    assert container(built.main, model)["Image"] == IMAGE_URI
    assert_policy_has(
        built.main,
        model,
        pull(f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/churn"),
        ECR_TOKEN,
    )


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_each_models_role_may_pull_exactly_its_image(built: Built, region: str) -> None:
    # SageMaker pulls with the model's execution role, also SageMaker-provided images:
    # the pull actions on the image's repository, GetAuthorizationToken on "*".
    place = Place(account=ACCOUNT, region=region)
    sklearn_account = SKLEARN_XGBOOST_REGISTRY_ACCOUNTS[region]
    overrides = {
        logical_id(built.models["package"]): {
            f"arn:aws:ecr:{region}:{sklearn_account}:repository/sagemaker-scikit-learn"
        },
        logical_id(built.models["package_grants"]): {
            f"arn:aws:ecr:{region}:{ACCOUNT}:repository/churn"
        },
        logical_id(built.models["uri_with_repository"]): {
            f"arn:aws:ecr:{region}:{ACCOUNT}:repository/scoring"
        },
    }
    assert image_pull_problems(built.main_json, place, overrides) == []
    assert image_pull_problems(built.regional_json, Place(ACCOUNT, "eu-west-1")) == []
    extension_overrides = {
        logical_id(built.extension_models["custom_package"]): {
            f"arn:aws:ecr:{region}:{ACCOUNT}:repository/team/churn"
        }
    }
    assert image_pull_problems(built.extensions_json, place, extension_overrides) == []


def test_image_uri_with_a_repository_grants_that_repository(built: Built) -> None:
    (statement,) = statements_with(
        built.main, built.models["uri_with_repository"], "ecr:BatchGetImage"
    )
    assert flat(statement["Resource"]) == (
        "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/scoring"
    )


@pytest.mark.parametrize(
    ("uri", "arn"),
    [
        (
            "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.1-cpu-py310",
            "arn:aws:ecr:us-west-2:763104351884:repository/pytorch-inference",
        ),
        (
            "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/team/churn@sha256:" + "a" * 64,
            "arn:aws-cn:ecr:cn-north-1:727897471807:repository/team/churn",
        ),
        (
            "246785580436.dkr.ecr-fips.us-gov-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "arn:aws-us-gov:ecr:us-gov-west-1:246785580436:repository/sagemaker-xgboost",
        ),
    ],
)
def test_image_uri_repository_arn_in_every_partition(uri: str, arn: str) -> None:
    stack = new_stack()
    model = Model(stack, "Model", image=ContainerImage.from_image_uri(uri))
    assert_policy_has(Template.from_stack(stack), model, pull(arn))


def test_sagemaker_image_uses_a_mapping_when_the_region_is_a_token(built: Built) -> None:
    table = built.main.find_mappings("SageMakerImageRegistrySagemakerScikitLearn")
    assert table == {
        "SageMakerImageRegistrySagemakerScikitLearn": {
            r: {"account": a} for r, a in SKLEARN_XGBOOST_REGISTRY_ACCOUNTS.items()
        }
    }
    assert SKLEARN_XGBOOST_REGISTRY_ACCOUNTS["us-east-1"] == "683313688378"
    image = flat(container(built.main, built.models["sklearn"])["Image"])
    assert image == (
        "<SageMakerImageRegistrySagemakerScikitLearn[<AWS::Region>].account>"
        f".dkr.ecr.<AWS::Region>.<AWS::URLSuffix>{SKLEARN_SUFFIX}"
    )


def test_sagemaker_image_resolves_the_account_when_the_region_is_known(built: Built) -> None:
    image = flat(container(built.regional, built.regional_model)["Image"])
    # 141502667606 is the eu-west-1 registry of the image.
    assert image == f"141502667606.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>{SKLEARN_SUFFIX}"
    assert built.regional.find_mappings("*") == {}


def test_sagemaker_image_refused_in_a_region_without_the_image() -> None:
    stack = new_stack(region="mx-central-1")
    with pytest.raises(InvalidPropsError, match="is not published in that region") as info:
        Model(stack, "Model", image=ContainerImage.sagemaker_scikit_learn())
    assert_names(info.value, "Stack/Model", "mx-central-1")
    assert "eu-west-1" in str(info.value)


# -- images from a local Docker build context ----------------------------------------------


def test_asset_image_is_served_and_its_repository_may_be_pulled(built: Built) -> None:
    model = built.extension_models["asset"]
    asset = model.node.find_child("ImageAsset")
    assert isinstance(asset, ecr_assets.DockerImageAsset)
    # The model serves the image the asset builds, tagged with its content hash...
    assert container(built.extensions, model)["Image"] == resolve(model, asset.image_uri)
    assert asset.asset_hash in json.dumps(container(built.extensions, model)["Image"])
    # ...and its role may pull exactly from the bootstrap's container-asset repository.
    assert_policy_has(
        built.extensions, model, pull(resolve(model, asset.repository.repository_arn)), ECR_TOKEN
    )
    assert {a for a in actions_of(built.extensions, model) if a.startswith("ecr:")} == {
        *ECR_PULL,
        "ecr:GetAuthorizationToken",
    }


def test_asset_image_is_built_at_deploy_not_at_synth(built: Built) -> None:
    # Synth stages the build context and lists the image for the deploy-time build (with
    # the given DockerImageAsset options); no image is built or pushed during synth.
    asset = built.extension_models["asset"].node.find_child("ImageAsset")
    assert isinstance(asset, ecr_assets.DockerImageAsset)
    image = built.asset_manifest["dockerImages"][asset.asset_hash]
    assert image["source"]["directory"] == f"asset.{asset.asset_hash}"
    assert image["source"]["dockerBuildArgs"] == {"PYTHON": "3.11"}


def test_asset_image_without_a_dockerfile_is_refused(stack: cdk.Stack, tmp_path: Path) -> None:
    with pytest.raises(InvalidPropsError, match="does not exist") as info:
        Model(stack, "Model", image=ContainerImage.from_asset(str(tmp_path)))
    assert_names(info.value, "Stack/Model", tmp_path / "Dockerfile")


# -- user-defined sources (the bind extension points) ------------------------------------


def test_a_user_defined_image_source_is_served_with_what_it_grants(built: Built) -> None:
    model = built.extension_models["custom"]
    assert flat(container(built.extensions, model)["Image"]) == (
        f"<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/team/churn@{DIGEST}"
    )
    repository = "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/team/churn"
    (statement,) = statements_with(built.extensions, model, "ecr:BatchGetImage")
    assert flat(statement["Resource"]) == repository
    # The grant lands in the model's managed policy, not in an inline policy.
    built.extensions.resource_count_is("AWS::IAM::Policy", 0)


def test_a_user_defined_data_source_is_served_with_what_it_grants(built: Built) -> None:
    model = built.extension_models["custom"]
    assert container(built.extensions, model)["ModelDataUrl"] == (
        "s3://team-artifacts/churn/model.tar.gz"
    )
    (read,) = statements_with(built.extensions, model, "s3:GetObject*")
    assert [flat(r) for r in as_list(read["Resource"])][-1] == (
        "arn:<AWS::Partition>:s3:::team-artifacts/churn/model.tar.gz"
    )


def test_a_model_package_binds_its_images_through_the_public_bind(built: Built) -> None:
    package_model = built.extension_models["custom_package"]
    assert built.pinned.bound_to == [
        built.extension_models["custom"].node.path,
        package_model.node.path,
    ]
    assert container(built.extensions, package_model) == {"ModelPackageName": PACKAGE_ARN}
    (statement,) = statements_with(built.extensions, package_model, "ecr:BatchGetImage")
    assert flat(statement["Resource"]).endswith(":repository/team/churn")


def test_bind_results_are_immutable_values() -> None:
    image = ContainerImageConfig(image_name="registry/repo:tag")
    data = ModelDataConfig(uri="s3://bucket/model.tar.gz")
    with pytest.raises(dataclasses.FrozenInstanceError):
        image.image_name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.uri = "other"  # type: ignore[misc]
    assert image == ContainerImageConfig("registry/repo:tag")


# -- model data --------------------------------------------------------------------------


def test_model_data_from_bucket_reads_only_that_object(built: Built) -> None:
    model = built.models["ecr"]
    assert container(built.main, model)["ModelDataUrl"] == (
        f"s3://{BUCKET_NAME}/models/churn/model.tar.gz"
    )
    s3_statements = [
        s
        for s in statements(built.main, model)
        if any(a.startswith("s3:") for a in as_list(s["Action"]))
    ]
    assert s3_statements == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        f":s3:::{BUCKET_NAME}/models/churn/model.tar.gz",
                    ],
                ]
            },
        }
    ]
    # An SSE-S3 bucket: no key to decrypt with.
    assert not any(a.startswith("kms:") for a in actions_of(built.main, model))


def test_model_data_from_asset_reads_only_the_asset_object(built: Built) -> None:
    model = built.models["sklearn"]
    url = container(built.main, model)["ModelDataUrl"]["Fn::Sub"]
    assert url.startswith("s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/")
    object_key = url.rsplit("/", 1)[1]
    assert object_key.endswith(".gz")
    (read,) = statements_with(built.main, model, "s3:GetObject")
    assert flat(read["Resource"]) == (
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/"
        + object_key
    )


def decrypt(key: kms.IKey) -> dict[str, Any]:
    return {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": get_att(key, "Arn")}


def test_model_data_key_given_with_the_data_may_decrypt_it(built: Built) -> None:
    model = built.key_models["given_key"]
    assert_policy_has(built.keys, model, decrypt(built.data_key))
    assert statements_with(built.keys, model, "kms:Decrypt") == [decrypt(built.data_key)]


def test_model_data_key_defaults_to_the_buckets_key(built: Built) -> None:
    model = built.key_models["bucket_key"]
    assert statements_with(built.keys, model, "kms:Decrypt") == [decrypt(built.bucket_key)]


def test_model_package_may_decrypt_with_its_artifact_buckets_key(built: Built) -> None:
    model = built.key_models["package_bucket_key"]
    assert statements_with(built.keys, model, "kms:Decrypt") == [decrypt(built.bucket_key)]


def test_key_grants_are_identity_based_and_land_in_the_managed_policy(built: Built) -> None:
    built.keys.resource_count_is("AWS::IAM::Policy", 0)
    # The key policies are left alone: one statement each, the account's.
    for key in (built.data_key, built.bucket_key):
        found = built.keys.find_resources("AWS::KMS::Key")[logical_id(key)]
        assert len(found["Properties"]["KeyPolicy"]["Statement"]) == 1


# -- model package -----------------------------------------------------------------------


def test_model_package_serves_the_package_and_pulls_its_images(built: Built) -> None:
    model = built.models["package"]
    assert container(built.main, model) == {"ModelPackageName": PACKAGE_ARN}
    (statement,) = statements_with(built.main, model, "ecr:BatchGetImage")
    assert flat(statement["Resource"]) == (
        "arn:<AWS::Partition>:ecr:<AWS::Region>:"
        "<SageMakerImageRegistrySagemakerScikitLearn[<AWS::Region>].account>"
        ":repository/sagemaker-scikit-learn"
    )
    assert not any(a.startswith("s3:") for a in actions_of(built.main, model))


def test_model_package_grants_its_bucket_and_repository_when_given(built: Built) -> None:
    model = built.models["package_grants"]
    (read,) = statements_with(built.main, model, "s3:GetObject")
    assert read["Resource"]["Fn::Join"][1][-1] == f":s3:::{BUCKET_NAME}/*"
    (statement,) = statements_with(built.main, model, "ecr:BatchGetImage")
    assert flat(statement["Resource"]).endswith(":repository/churn")
    assert statements_with(built.main, model, "ecr:GetAuthorizationToken") == [ECR_TOKEN]
    assert not any(a.startswith("kms:") for a in actions_of(built.main, model))


# -- container settings ------------------------------------------------------------------


def test_environment_variables(built: Built) -> None:
    assert container(built.main, built.models["env"])["Environment"] == {
        "SAGEMAKER_PROGRAM": "inference.py",
        "LOG_LEVEL": "INFO",
    }
    assert "Environment" not in container(built.main, built.models["uri"])


def test_vpc_config_with_a_new_closed_security_group(built: Built) -> None:
    model = built.models["vpc"]
    group = model.node.find_child("SecurityGroup")
    assert model_props(built.main, model)["VpcConfig"] == {
        "Subnets": ["subnet-0aaa", "subnet-0bbb"],
        "SecurityGroupIds": [get_att(group, "GroupId")],
    }
    # allow_all_outbound=False renders CDK's "disallow all traffic" egress placeholder.
    groups = built.main.find_resources(
        "AWS::EC2::SecurityGroup",
        {
            "Properties": {
                "SecurityGroupIngress": Match.absent(),
                "SecurityGroupEgress": [Match.object_like({"CidrIp": "255.255.255.255/32"})],
            }
        },
    )
    assert logical_id(group) in groups
    assert model.connections is not None


def test_vpc_config_with_given_security_groups_creates_none(built: Built) -> None:
    model = built.models["vpc_own_group"]
    assert model_props(built.main, model)["VpcConfig"] == {
        "SecurityGroupIds": ["sg-0123abcd"],
        "Subnets": ["subnet-0aaa", "subnet-0bbb"],
    }
    assert model.node.try_find_child("SecurityGroup") is None


def test_vpc_models_may_manage_their_network_interfaces(built: Built) -> None:
    (ec2_statement,) = statements_with(
        built.main, built.models["vpc"], "ec2:CreateNetworkInterface"
    )
    assert ec2_statement["Resource"] == "*"
    assert {
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
    } <= set(ec2_statement["Action"])
    assert not statements_with(built.main, built.models["uri"], "ec2:DescribeVpcs")


def test_network_isolation(built: Built) -> None:
    assert model_props(built.main, built.models["isolated"])["EnableNetworkIsolation"] is True
    uri_model = model_props(built.main, built.models["uri"])
    assert "EnableNetworkIsolation" not in uri_model
    assert "VpcConfig" not in uri_model


# -- execution role and policy -----------------------------------------------------------


def test_each_model_has_its_own_role_trusted_by_sagemaker_only(built: Built) -> None:
    built.main.resource_count_is("AWS::IAM::Role", len(built.models))
    built.main.all_resources_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                    }
                ]
            }
        },
    )
    # No fixed name: a change makes a new model, never a name collision.
    built.main.all_resources_properties("AWS::SageMaker::Model", {"ModelName": Match.absent()})
    for model in built.models.values():
        assert model_props(built.main, model)["ExecutionRoleArn"] == get_att(model.role, "Arn")


def test_execution_policy_is_a_managed_policy_and_no_aws_managed_policy(built: Built) -> None:
    for template in (built.main, built.regional, built.own_role, built.keys, built.imported):
        body = json.dumps(template.to_json())
        assert ":iam::aws:policy/" not in body
        assert "ManagedPolicyArns" not in body
        template.resource_count_is("AWS::IAM::Policy", 0)
    for model in built.models.values():
        policies = built.main.find_resources(
            "AWS::IAM::ManagedPolicy", {"Properties": {"Roles": [ref(model.role)]}}
        )
        assert list(policies) == [logical_id(model.policy)]


def test_model_waits_for_its_policy(built: Built) -> None:
    for model in built.models.values():
        found = built.main.find_resources(
            "AWS::SageMaker::Model", {"DependsOn": Match.array_with([logical_id(model.policy)])}
        )
        assert logical_id(model) in found


def test_log_and_metric_permissions_are_scoped_to_sagemaker_endpoints(built: Built) -> None:
    model = built.models["uri"]
    (logs,) = statements_with(built.main, model, "logs:PutLogEvents")
    log_group = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group"
    assert [flat(r) for r in logs["Resource"]] == [
        f"{log_group}:/aws/sagemaker/Endpoints/*",
        f"{log_group}:/aws/sagemaker/Endpoints/*:log-stream:*",
    ]
    (metrics,) = statements_with(built.main, model, "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}


def test_only_api_calls_without_resource_permissions_use_a_wildcard(built: Built) -> None:
    allowed = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "ec2:DescribeVpcs"}
    for model in built.models.values():
        for statement in statements(built.main, model):
            if statement["Resource"] == "*":
                assert set(as_list(statement["Action"])) & allowed, statement


def test_own_role_is_used_and_no_role_is_created(built: Built) -> None:
    template, model = built.own_role, built.own_role_model
    assert list(template.find_resources("AWS::IAM::Role")) == [logical_id(built.user_role)]
    assert model.node.try_find_child("ExecutionRole") is None
    assert model_props(template, model)["ExecutionRoleArn"] == get_att(built.user_role, "Arn")
    policies = template.find_resources(
        "AWS::IAM::ManagedPolicy", {"Properties": {"Roles": [ref(built.user_role)]}}
    )
    assert list(policies) == [logical_id(model.policy)]
    template.resource_count_is("AWS::IAM::ManagedPolicy", 1)


# -- imports -----------------------------------------------------------------------------


def test_from_model_name_serves_an_existing_model(built: Built) -> None:
    built.imported.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like({"ModelName": "churn-model-2024-06"})]},
    )
    built.imported.resource_count_is("AWS::SageMaker::Model", 0)
    built.imported.resource_count_is("AWS::IAM::Role", 0)


def test_from_model_name_checks_the_name(stack: cdk.Stack) -> None:
    with pytest.raises(InvalidPropsError, match="is not a valid SageMaker name") as info:
        Model.from_model_name(stack, "Existing", "churn_model")
    assert_names(info.value, "Stack/Existing", "churn_model")


def test_model_data_asset_must_be_an_existing_file(tmp_path: Any) -> None:
    stack = new_stack()
    for path in (str(tmp_path / "missing.tar.gz"), str(tmp_path)):
        with pytest.raises(InvalidPropsError, match="is not an existing file") as info:
            Model(
                stack,
                f"Model{len(path)}",
                image=ContainerImage.sagemaker_scikit_learn(),
                model_data=ModelData.from_asset(path),
            )
        assert_names(info.value, f"Stack/Model{len(path)}", path)
