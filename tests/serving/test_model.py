"""Model: image and weight sources, least-privilege execution policy, VPC and imports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import (
    ContainerImage,
    Endpoint,
    Model,
    ModelData,
    ModelPackage,
)
from constructs_lib.serving._image_accounts import SKLEARN_XGBOOST_REGISTRY_ACCOUNTS
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
    only,
    policy_statements,
    props,
    ref,
    resources,
    statements_with,
    template,
    variant,
)

PACKAGE_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"
SKLEARN_SUFFIX = "/sagemaker-scikit-learn:1.2-1-cpu-py3"
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


@dataclass
class Built:
    """The synthesized model stacks and the constructs the tests look up."""

    models: dict[str, Model]
    main: dict[str, Any]
    main_stack: cdk.Stack
    regional: dict[str, Any]
    regional_model: Model
    own_role: dict[str, Any]
    own_role_model: Model
    user_role: iam.Role
    data_key: kms.Key
    imported: dict[str, Any]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    stack = new_stack(app, "Models")
    bucket = artifact_bucket(stack)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0aaa", "subnet-0bbb"],
    )
    user_group = ec2.SecurityGroup.from_security_group_id(stack, "UserGroup", "sg-0123abcd")
    models = {
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
        "vpc": new_model(stack, "VpcModel", vpc=vpc),
        "vpc_own_group": new_model(
            stack,
            "VpcOwnGroupModel",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[user_group],
        ),
        "isolated": new_model(stack, "IsolatedModel", network_isolation=True),
    }

    regional_stack = new_stack(app, "Regional", region="eu-west-1")
    regional_model = Model(
        regional_stack, "SklearnModel", image=ContainerImage.sagemaker_scikit_learn()
    )

    own_stack = new_stack(app, "OwnRole")
    user_role = iam.Role(
        own_stack, "UserRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    data_key = kms.Key(own_stack, "DataKey", enable_key_rotation=True)
    own_role_model = new_model(own_stack, "Model", role=user_role, model_data_key=data_key)

    imported_stack = new_stack(app, "Imported")
    existing = Model.from_model_name(imported_stack, "Existing", "churn-model-2024-06")
    Endpoint(imported_stack, "Endpoint", variants=[variant("main", existing)])

    return Built(
        models=models,
        main=template(stack),
        main_stack=stack,
        regional=template(regional_stack),
        regional_model=regional_model,
        own_role=template(own_stack),
        own_role_model=own_role_model,
        user_role=user_role,
        data_key=data_key,
        imported=template(imported_stack),
    )


def container(tpl: dict[str, Any], model: Model) -> dict[str, Any]:
    return props(tpl, logical_id(model))["PrimaryContainer"]


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in as_list(s["Action"])}


# -- images ------------------------------------------------------------------------------


def test_ecr_image_is_tagged_uri_of_that_repository(built: Built) -> None:
    image = flat(container(built.main, built.models["ecr"])["Image"])
    assert image == "<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/churn:v7"


def test_ecr_pull_is_limited_to_the_repository_plus_token(built: Built) -> None:
    statements = policy_statements(built.main, built.models["ecr"])
    pull = [s for s in statements if set(as_list(s["Action"])) == set(ECR_PULL)]
    assert len(pull) == 1
    assert flat(pull[0]["Resource"]) == (
        "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/churn"
    )
    token = statements_with(statements, "ecr:GetAuthorizationToken")
    assert token == [{"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"}]
    # No other ECR permission anywhere in the policy.
    assert {a for a in actions_of(statements) if a.startswith("ecr:")} == {
        *ECR_PULL,
        "ecr:GetAuthorizationToken",
    }


def test_image_uri_grants_pull_of_the_repository_parsed_from_the_uri(built: Built) -> None:
    model = built.models["uri"]
    assert container(built.main, model)["Image"] == IMAGE_URI
    statements = policy_statements(built.main, model)
    (pull,) = [s for s in statements if set(as_list(s["Action"])) == set(ECR_PULL)]
    assert pull["Resource"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/churn"
    assert statements_with(statements, "ecr:GetAuthorizationToken") == [
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"}
    ]


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
    assert image_pull_problems(built.main, place, overrides) == []
    assert image_pull_problems(built.regional, Place(ACCOUNT, "eu-west-1")) == []


def test_image_uri_with_a_repository_grants_that_repository(built: Built) -> None:
    statements = policy_statements(built.main, built.models["uri_with_repository"])
    (pull,) = [s for s in statements if set(as_list(s["Action"])) == set(ECR_PULL)]
    assert flat(pull["Resource"]) == (
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
    (pull,) = statements_with(policy_statements(template(stack), model), "ecr:BatchGetImage")
    assert pull["Resource"] == arn


def test_sagemaker_image_uses_a_mapping_when_the_region_is_a_token(built: Built) -> None:
    mappings = built.main["Mappings"]
    table = mappings["SageMakerImageRegistrySagemakerScikitLearn"]
    assert table == {r: {"account": a} for r, a in SKLEARN_XGBOOST_REGISTRY_ACCOUNTS.items()}
    assert table["us-east-1"] == {"account": "683313688378"}
    image = flat(container(built.main, built.models["sklearn"])["Image"])
    assert image == (
        "<SageMakerImageRegistrySagemakerScikitLearn[<AWS::Region>].account>"
        f".dkr.ecr.<AWS::Region>.<AWS::URLSuffix>{SKLEARN_SUFFIX}"
    )


def test_sagemaker_image_resolves_the_account_when_the_region_is_known(built: Built) -> None:
    image = flat(container(built.regional, built.regional_model)["Image"])
    # 141502667606 is the eu-west-1 registry of the image.
    assert image == f"141502667606.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>{SKLEARN_SUFFIX}"
    assert "Mappings" not in built.regional


def test_sagemaker_image_refused_in_a_region_without_the_image() -> None:
    stack = new_stack(region="mx-central-1")
    with pytest.raises(InvalidPropsError, match="is not published in that region") as info:
        Model(stack, "Model", image=ContainerImage.sagemaker_scikit_learn())
    assert_names(info.value, "Stack/Model", "mx-central-1")
    assert "eu-west-1" in str(info.value)


# -- model data --------------------------------------------------------------------------


def test_model_data_from_bucket_reads_only_that_object(built: Built) -> None:
    model = built.models["ecr"]
    assert container(built.main, model)["ModelDataUrl"] == (
        f"s3://{BUCKET_NAME}/models/churn/model.tar.gz"
    )
    s3_statements = [
        s
        for s in policy_statements(built.main, model)
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


def test_model_data_from_asset_reads_only_the_asset_object(built: Built) -> None:
    model = built.models["sklearn"]
    url = container(built.main, model)["ModelDataUrl"]["Fn::Sub"]
    assert url.startswith("s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/")
    object_key = url.rsplit("/", 1)[1]
    assert object_key.endswith(".gz")
    (read,) = statements_with(policy_statements(built.main, model), "s3:GetObject")
    assert flat(read["Resource"]) == (
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/"
        + object_key
    )


# -- model package -----------------------------------------------------------------------


def test_model_package_serves_the_package_and_pulls_its_images(built: Built) -> None:
    model = built.models["package"]
    assert container(built.main, model) == {"ModelPackageName": PACKAGE_ARN}
    statements = policy_statements(built.main, model)
    (pull,) = statements_with(statements, "ecr:BatchGetImage")
    assert flat(pull["Resource"]) == (
        "arn:<AWS::Partition>:ecr:<AWS::Region>:"
        "<SageMakerImageRegistrySagemakerScikitLearn[<AWS::Region>].account>"
        ":repository/sagemaker-scikit-learn"
    )
    assert not any(a.startswith("s3:") for a in actions_of(statements))


def test_model_package_grants_its_bucket_and_repository_when_given(built: Built) -> None:
    statements = policy_statements(built.main, built.models["package_grants"])
    (read,) = statements_with(statements, "s3:GetObject")
    assert read["Resource"]["Fn::Join"][1][-1] == f":s3:::{BUCKET_NAME}/*"
    (pull,) = statements_with(statements, "ecr:BatchGetImage")
    assert flat(pull["Resource"]).endswith(":repository/churn")
    assert statements_with(statements, "ecr:GetAuthorizationToken")


# -- container settings ------------------------------------------------------------------


def test_environment_variables(built: Built) -> None:
    assert container(built.main, built.models["env"])["Environment"] == {
        "SAGEMAKER_PROGRAM": "inference.py",
        "LOG_LEVEL": "INFO",
    }
    assert "Environment" not in container(built.main, built.models["uri"])


def test_vpc_config_with_a_new_closed_security_group(built: Built) -> None:
    model = built.models["vpc"]
    config = props(built.main, logical_id(model))["VpcConfig"]
    assert config["Subnets"] == ["subnet-0aaa", "subnet-0bbb"]
    group = model.node.find_child("SecurityGroup")
    assert config["SecurityGroupIds"] == [get_att(group, "GroupId")]
    group_props = props(built.main, logical_id(group))
    assert "SecurityGroupIngress" not in group_props
    # allow_all_outbound=False renders CDK's "disallow all traffic" egress placeholder.
    assert [r["CidrIp"] for r in group_props["SecurityGroupEgress"]] == ["255.255.255.255/32"]
    assert model.connections is not None


def test_vpc_config_with_given_security_groups_creates_none(built: Built) -> None:
    model = built.models["vpc_own_group"]
    config = props(built.main, logical_id(model))["VpcConfig"]
    assert config == {
        "SecurityGroupIds": ["sg-0123abcd"],
        "Subnets": ["subnet-0aaa", "subnet-0bbb"],
    }
    assert model.node.try_find_child("SecurityGroup") is None


def test_vpc_models_may_manage_their_network_interfaces(built: Built) -> None:
    statements = policy_statements(built.main, built.models["vpc"])
    (ec2_statement,) = statements_with(statements, "ec2:CreateNetworkInterface")
    assert ec2_statement["Resource"] == "*"
    assert {
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
    } <= set(ec2_statement["Action"])
    assert not statements_with(
        policy_statements(built.main, built.models["uri"]), "ec2:DescribeVpcs"
    )


def test_network_isolation(built: Built) -> None:
    assert props(built.main, logical_id(built.models["isolated"]))["EnableNetworkIsolation"] is True
    assert "EnableNetworkIsolation" not in props(built.main, logical_id(built.models["uri"]))
    assert "VpcConfig" not in props(built.main, logical_id(built.models["uri"]))


# -- execution role and policy -----------------------------------------------------------


def test_each_model_has_its_own_role_trusted_by_sagemaker_only(built: Built) -> None:
    roles = resources(built.main, "AWS::IAM::Role")
    assert len(roles) == len(built.models)
    for role in roles.values():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
            }
        ]
    for model in built.models.values():
        model_props = props(built.main, logical_id(model))
        assert model_props["ExecutionRoleArn"] == get_att(model.role, "Arn")
        assert "ModelName" not in model_props  # a change makes a new model, never a collision


def test_execution_policy_is_a_managed_policy_and_no_aws_managed_policy(built: Built) -> None:
    for tpl in (built.main, built.regional, built.own_role, built.imported):
        body = json.dumps(tpl)
        assert ":iam::aws:policy/" not in body
        assert "ManagedPolicyArns" not in body
        assert resources(tpl, "AWS::IAM::Policy") == {}
    for model in built.models.values():
        policy = built.main["Resources"][logical_id(model.policy)]
        assert policy["Type"] == "AWS::IAM::ManagedPolicy"
        assert policy["Properties"]["Roles"] == [ref(model.role)]


def test_model_waits_for_its_policy(built: Built) -> None:
    for model in built.models.values():
        resource = built.main["Resources"][logical_id(model)]
        assert logical_id(model.policy) in resource["DependsOn"]


def test_log_and_metric_permissions_are_scoped_to_sagemaker_endpoints(built: Built) -> None:
    statements = policy_statements(built.main, built.models["uri"])
    (logs,) = statements_with(statements, "logs:PutLogEvents")
    log_group = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group"
    assert [flat(r) for r in logs["Resource"]] == [
        f"{log_group}:/aws/sagemaker/Endpoints/*",
        f"{log_group}:/aws/sagemaker/Endpoints/*:log-stream:*",
    ]
    (metrics,) = statements_with(statements, "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}


def test_only_api_calls_without_resource_permissions_use_a_wildcard(built: Built) -> None:
    allowed = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "ec2:DescribeVpcs"}
    for model in built.models.values():
        for statement in policy_statements(built.main, model):
            if statement["Resource"] == "*":
                assert set(as_list(statement["Action"])) & allowed, statement


def test_own_role_is_used_and_no_role_is_created(built: Built) -> None:
    tpl, model = built.own_role, built.own_role_model
    roles = resources(tpl, "AWS::IAM::Role")
    assert list(roles) == [logical_id(built.user_role)]
    assert model.node.try_find_child("ExecutionRole") is None
    assert props(tpl, logical_id(model))["ExecutionRoleArn"] == get_att(built.user_role, "Arn")
    (policy_id, policy) = only(tpl, "AWS::IAM::ManagedPolicy")
    assert policy_id == logical_id(model.policy)
    assert policy["Properties"]["Roles"] == [ref(built.user_role)]


def test_model_data_key_decrypt_lands_in_the_managed_policy(built: Built) -> None:
    tpl, model = built.own_role, built.own_role_model
    (decrypt,) = statements_with(policy_statements(tpl, model), "kms:Decrypt")
    assert decrypt == {
        "Action": "kms:Decrypt",
        "Effect": "Allow",
        "Resource": get_att(built.data_key, "Arn"),
    }
    assert resources(tpl, "AWS::IAM::Policy") == {}
    # The key policy is left alone: the grant is identity-based only.
    key_statements = props(tpl, logical_id(built.data_key))["KeyPolicy"]["Statement"]
    assert len(key_statements) == 1


# -- imports -----------------------------------------------------------------------------


def test_from_model_name_serves_an_existing_model(built: Built) -> None:
    (_, config) = only(built.imported, "AWS::SageMaker::EndpointConfig")
    (production,) = config["Properties"]["ProductionVariants"]
    assert production["ModelName"] == "churn-model-2024-06"
    assert resources(built.imported, "AWS::SageMaker::Model") == {}
    assert resources(built.imported, "AWS::IAM::Role") == {}


def test_from_model_name_checks_the_name(stack: cdk.Stack) -> None:
    with pytest.raises(InvalidPropsError, match="is not a valid SageMaker name") as info:
        Model.from_model_name(stack, "Existing", "churn_model")
    assert_names(info.value, "Stack/Existing", "churn_model")
