"""Model bias and feature-attribution monitors, run by the SageMaker Clarify image.

:class:`ModelBiasMonitor` tracks bias drift of captured predictions against ground-truth
labels; :class:`ModelExplainabilityMonitor` tracks the SHAP feature attributions of captured
requests. Both read a Clarify analysis configuration; what they share with every kind is
:class:`~constructs_lib.monitoring.ModelMonitor`.
"""

from __future__ import annotations

from typing import Any, Unpack

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_lib.core import check_name, check_range, is_token, pascal_case, require
from constructs_lib.monitoring._monitor_images import (
    CLARIFY_IMAGE_REPOSITORY,
    CLARIFY_IMAGE_TAG,
    CLARIFY_REGISTRY_ACCOUNTS,
)
from constructs_lib.monitoring.locations import S3Location
from constructs_lib.monitoring.model_monitor import (
    ModelMonitor,
    MonitorProps,
    _check_offsets,
    _Kind,
)
from constructs_lib.serving.model import IModel

__all__ = ["ModelBiasMonitor", "ModelExplainabilityMonitor"]


_MODEL_BIAS = _Kind(
    monitoring_type="ModelBias",
    prop_prefix="model_bias",
    cfn_class=sagemaker.CfnModelBiasJobDefinition,
    image_repository=CLARIFY_IMAGE_REPOSITORY,
    image_tag=CLARIFY_IMAGE_TAG,
    registry_accounts=CLARIFY_REGISTRY_ACCOUNTS,
    metrics_namespace="aws/sagemaker/Endpoints/bias-metrics",
    slug="model-bias",
    merges_ground_truth=True,
    capture_modes=("Input", "Output"),
)


class ModelBiasMonitor(ModelMonitor):
    """Model bias: SageMaker Clarify measures bias drift of captured predictions vs labels.

    Each run merges captured requests and predictions with ground-truth labels and computes
    the pre- and post-training bias metrics of the analysis config (``bias_metric_<name>``,
    with dimensions ``BiasStage``, ``Label``, ``LabelValue``, ``Facet``, ``FacetValue``).

    :param analysis_config: the Clarify analysis configuration JSON (``label``, ``facet``,
        ``methods``, ...). Required.
    :param ground_truth: the labels' prefix. Required.
    :param baseline_constraints: the baseline constraints of a bias baselining job.
        Default: none (no violation check, figures only).
    :param features_attribute: JSONPath of the features in JSON Lines requests.
        Default: none.
    :param inference_attribute: index or JSONPath of the predicted label. Default: none.
    :param probability_attribute: index or JSONPath of the probability. Default: none.
    :param probability_threshold: probability above which a binary prediction is positive.
        Default: none.
    :param start_time_offset: how far back the analysis window starts. Default: SageMaker's.
    :param end_time_offset: how far back it ends. Default: SageMaker's.

    The other props are the same for every kind: see :class:`ModelMonitor`.
    """

    _kind = _MODEL_BIAS

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analysis_config: S3Location | None = None,
        ground_truth: S3Location | None = None,
        baseline_constraints: S3Location | None = None,
        features_attribute: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold: float | None = None,
        start_time_offset: Duration | None = None,
        end_time_offset: Duration | None = None,
        **props: Unpack[MonitorProps],
    ) -> None:
        super().__init__(scope, construct_id, **props)
        cls = sagemaker.CfnModelBiasJobDefinition
        config = self._bind_required(
            analysis_config,
            "analysis_config",
            "pass the Clarify analysis_config.json: S3Location.from_asset(path) or from_bucket",
        )
        labels = self._bind_required(
            ground_truth,
            "ground_truth",
            "pass the prefix your labels are written to: S3Location.from_bucket(bucket, "
            "'<prefix>')",
            prefix=True,
        )
        check_range(self, "probability_threshold", probability_threshold, 0, 1)
        start, end = _check_offsets(self, start_time_offset, end_time_offset)
        baseline = _optional_constraints(self, cls, baseline_constraints)
        self._configure_job_definition(
            app_specification=cls.ModelBiasAppSpecificationProperty(
                image_uri=self.image_uri, config_uri=config, environment=self._environment
            ),
            job_input=cls.ModelBiasJobInputProperty(
                endpoint_input=self._endpoint_input(
                    features_attribute=features_attribute,
                    inference_attribute=inference_attribute,
                    probability_attribute=probability_attribute,
                    probability_threshold_attribute=probability_threshold,
                    start_time_offset=start,
                    end_time_offset=end,
                ),
                ground_truth_s3_input=cls.MonitoringGroundTruthS3InputProperty(s3_uri=labels),
            ),
            baseline_config=baseline,
        )


_MODEL_EXPLAINABILITY = _Kind(
    monitoring_type="ModelExplainability",
    prop_prefix="model_explainability",
    cfn_class=sagemaker.CfnModelExplainabilityJobDefinition,
    image_repository=CLARIFY_IMAGE_REPOSITORY,
    image_tag=CLARIFY_IMAGE_TAG,
    registry_accounts=CLARIFY_REGISTRY_ACCOUNTS,
    metrics_namespace="aws/sagemaker/Endpoints/explainability-metrics",
    slug="model-explainability",
    merges_ground_truth=False,
    capture_modes=("Input",),
)


class ModelExplainabilityMonitor(ModelMonitor):
    """Feature attribution: SageMaker Clarify tracks the SHAP values of captured requests.

    Each run computes global SHAP values (``feature_<name>``) and compares their ranking with
    the baseline's (NDCG; SageMaker flags a score below 0.90).

    Kernel SHAP needs predictions on synthetic data. When the analysis config's
    ``predictor`` names a model, Clarify creates a temporary *shadow endpoint* from it, calls
    it over the network and deletes it: pass that model as ``shadow_model`` (the role may
    then create, call and delete endpoints named ``<shadow_endpoint_prefix>*`` and describe
    the model) and ``network_isolation=False`` (SageMaker developer guide, "Clarify ...
    Amazon VPC": network isolation must be off to reach the shadow endpoint).

    :param analysis_config: the Clarify analysis configuration JSON (``methods.shap``,
        ``predictor``, ``headers``). Required.
    :param baseline_constraints: the baseline constraints of an explainability baselining
        job. Default: none (no violation check, figures only).
    :param shadow_model: the model the analysis config's ``predictor.model_name`` names.
        Default: none (the config names no model; no endpoint permissions are granted).
    :param shadow_endpoint_prefix: the config's ``predictor.endpoint_name_prefix``, 1-23
        characters. Default: ``sm-clarify`` (Clarify's default).
    :param features_attribute: JSONPath of the features in JSON Lines requests.
        Default: none.
    :param inference_attribute: index or JSONPath of the predicted label. Default: none.
    :param probability_attribute: index or JSONPath of the probability. Default: none.

    The other props are the same for every kind: see :class:`ModelMonitor`.
    """

    _kind = _MODEL_EXPLAINABILITY

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analysis_config: S3Location | None = None,
        baseline_constraints: S3Location | None = None,
        shadow_model: IModel | None = None,
        shadow_endpoint_prefix: str = "sm-clarify",
        features_attribute: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        **props: Unpack[MonitorProps],
    ) -> None:
        super().__init__(scope, construct_id, **props)
        cls = sagemaker.CfnModelExplainabilityJobDefinition
        config = self._bind_required(
            analysis_config,
            "analysis_config",
            "pass the Clarify analysis_config.json: S3Location.from_asset(path) or from_bucket",
        )
        if shadow_model is not None:
            self._configure_shadow_endpoint(shadow_model, shadow_endpoint_prefix)
        baseline = _optional_constraints(self, cls, baseline_constraints)
        self._configure_job_definition(
            app_specification=cls.ModelExplainabilityAppSpecificationProperty(
                image_uri=self.image_uri, config_uri=config, environment=self._environment
            ),
            job_input=cls.ModelExplainabilityJobInputProperty(
                endpoint_input=self._endpoint_input(
                    features_attribute=features_attribute,
                    inference_attribute=inference_attribute,
                    probability_attribute=probability_attribute,
                )
            ),
            baseline_config=baseline,
        )

    def _configure_shadow_endpoint(self, model: IModel, prefix: str) -> None:
        """Let Clarify create, call and delete its shadow endpoint, and describe the model."""
        require(
            not self._network[0],
            self,
            "network_isolation",
            True,
            "blocks the Clarify job from calling its shadow endpoint (shadow_model is set)",
            "pass network_isolation=False, or drop shadow_model and the config's predictor",
        )
        check_name(self, "shadow_endpoint_prefix", prefix)
        require(
            is_token(prefix) or len(prefix) <= 23,
            self,
            "shadow_endpoint_prefix",
            prefix,
            "is longer than the 23 characters Clarify allows",
            "use a prefix of at most 23 characters",
        )
        _grant_shadow_endpoint(self, model, prefix)


def _grant_shadow_endpoint(monitor: ModelMonitor, model: IModel, prefix: str) -> None:
    stack = Stack.of(monitor)
    # SageMaker lower-cases names in its ARNs.
    lowered = prefix if is_token(prefix) else prefix.lower()
    endpoints = stack.format_arn(
        service="sagemaker", resource="endpoint", resource_name=f"{lowered}*"
    )
    configs = stack.format_arn(
        service="sagemaker", resource="endpoint-config", resource_name=f"{lowered}*"
    )
    name = model.model_name
    # A generated (token) name may hold capitals that the ARN lower-cases: any model then.
    model_arn = stack.format_arn(
        service="sagemaker", resource="model", resource_name="*" if is_token(name) else name.lower()
    )
    policy = monitor._permissions
    statements = (
        (
            [
                "sagemaker:CreateEndpointConfig",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DeleteEndpointConfig",
            ],
            [configs],
        ),
        (
            [
                "sagemaker:CreateEndpoint",
                "sagemaker:DescribeEndpoint",
                "sagemaker:DeleteEndpoint",
                "sagemaker:InvokeEndpoint",
            ],
            [endpoints],
        ),
        (["sagemaker:DescribeModel"], [model_arn]),
    )
    for actions, resources in statements:
        policy.policy.add_statements(iam.PolicyStatement(actions=actions, resources=resources))
    reason = (
        "Clarify names its temporary shadow endpoint and endpoint config <prefix>-<id> at run "
        "time; the grant is limited to that name prefix."
    )
    policy.acknowledge_resource(endpoints, reason)
    policy.acknowledge_resource(configs, reason)
    if is_token(name):
        policy.acknowledge_resource(
            model_arn,
            "The shadow model's name is generated by CloudFormation and SageMaker lower-cases "
            "it in ARNs, which CloudFormation cannot; DescribeModel is read-only.",
        )


def _optional_constraints(scope: ModelMonitor, cls: Any, constraints: S3Location | None) -> Any:
    """A Clarify kind's baseline config, or None without baseline constraints."""
    if constraints is None:
        return None
    uri = constraints._bind_object(scope, scope._permissions, "baseline_constraints")
    baseline_class = getattr(cls, f"{pascal_case(scope._kind.prop_prefix)}BaselineConfigProperty")
    return baseline_class(constraints_resource=cls.ConstraintsResourceProperty(s3_uri=uri))
