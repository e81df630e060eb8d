"""Data quality and model quality monitors, run by the Model Monitor analyzer image.

:class:`DataQualityMonitor` compares captured requests with a baseline;
:class:`ModelQualityMonitor` merges captured predictions with ground-truth labels and
tracks the model's accuracy (or error). Both are thin: what they share with every kind is
:class:`~constructs_lib.monitoring.ModelMonitor`.
"""

from __future__ import annotations

import enum
from typing import Any, Unpack

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_lib.core import check_range, require
from constructs_lib.monitoring._monitor_images import (
    MODEL_MONITOR_IMAGE_REPOSITORY,
    MODEL_MONITOR_IMAGE_TAG,
    MODEL_MONITOR_REGISTRY_ACCOUNTS,
)
from constructs_lib.monitoring.locations import S3Location
from constructs_lib.monitoring.model_monitor import (
    ModelMonitor,
    MonitorProps,
    _check_offsets,
    _Kind,
)

__all__ = ["DataQualityMonitor", "ModelQualityMonitor", "ProblemType"]


class ProblemType(enum.Enum):
    """What a model-quality monitor compares: the ML problem the model solves."""

    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"


_DATA_QUALITY = _Kind(
    monitoring_type="DataQuality",
    prop_prefix="data_quality",
    cfn_class=sagemaker.CfnDataQualityJobDefinition,
    image_repository=MODEL_MONITOR_IMAGE_REPOSITORY,
    image_tag=MODEL_MONITOR_IMAGE_TAG,
    registry_accounts=MODEL_MONITOR_REGISTRY_ACCOUNTS,
    metrics_namespace="aws/sagemaker/Endpoints/data-metrics",
    slug="data-quality",
    merges_ground_truth=False,
    capture_modes=("Input",),
)


class DataQualityMonitor(ModelMonitor):
    """Data quality: each run compares the captured requests with a baseline.

    SageMaker's analyzer computes per-feature statistics of the captured inputs, checks them
    against the baseline's constraints, writes ``constraint_violations.json`` and publishes
    ``feature_baseline_drift_<feature>`` and the other per-feature figures.

    :param baseline_constraints: the baseline ``constraints.json`` (from a baselining job).
        Required.
    :param baseline_statistics: the baseline ``statistics.json``. Required.

    The other props are the same for every kind: see :class:`ModelMonitor`.
    """

    _kind = _DATA_QUALITY

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        baseline_constraints: S3Location | None = None,
        baseline_statistics: S3Location | None = None,
        **props: Unpack[MonitorProps],
    ) -> None:
        super().__init__(scope, construct_id, **props)
        cls = sagemaker.CfnDataQualityJobDefinition
        fix = "pass the {} of a baselining job: S3Location.from_bucket(bucket, '<key>')"
        constraints = self._bind_required(
            baseline_constraints, "baseline_constraints", fix.format("constraints.json")
        )
        statistics = self._bind_required(
            baseline_statistics, "baseline_statistics", fix.format("statistics.json")
        )
        self._configure_job_definition(
            app_specification=cls.DataQualityAppSpecificationProperty(
                image_uri=self.image_uri, environment=self._environment
            ),
            job_input=cls.DataQualityJobInputProperty(endpoint_input=self._endpoint_input()),
            baseline_config=cls.DataQualityBaselineConfigProperty(
                constraints_resource=cls.ConstraintsResourceProperty(s3_uri=constraints),
                statistics_resource=cls.StatisticsResourceProperty(s3_uri=statistics),
            ),
        )

    def metric_feature_baseline_drift(self, feature: str, **kwargs: Any) -> cloudwatch.Metric:
        """The drift distance of one feature from the baseline (``Maximum`` by default)."""
        kwargs.setdefault("statistic", "Maximum")
        return self.metric(f"feature_baseline_drift_{feature}", **kwargs)


_MODEL_QUALITY = _Kind(
    monitoring_type="ModelQuality",
    prop_prefix="model_quality",
    cfn_class=sagemaker.CfnModelQualityJobDefinition,
    image_repository=MODEL_MONITOR_IMAGE_REPOSITORY,
    image_tag=MODEL_MONITOR_IMAGE_TAG,
    registry_accounts=MODEL_MONITOR_REGISTRY_ACCOUNTS,
    metrics_namespace="aws/sagemaker/Endpoints/model-metrics",
    slug="model-quality",
    merges_ground_truth=True,
    capture_modes=("Output",),
)


class ModelQualityMonitor(ModelMonitor):
    """Model quality: each run merges captured predictions with ground-truth labels.

    Labels are JSON Lines under ``<ground_truth>/yyyy/mm/dd/hh/`` keyed by the capture's
    ``inferenceId`` (or ``eventId``); SageMaker then computes accuracy, precision, recall, F1
    (classification) or MAE, RMSE, R2 (regression) and publishes them, e.g. ``accuracy``.

    :param problem_type: the model's problem. Required.
    :param ground_truth: the labels' prefix. Required.
    :param baseline_constraints: the baseline ``constraints.json``. Required.
    :param inference_attribute: index (CSV) or JSONPath of the predicted label in the
        response. Default: none.
    :param probability_attribute: index or JSONPath of the probability. Default: none.
    :param probability_threshold: probability above which a binary prediction is positive.
        Default: none (SageMaker's).
    :param start_time_offset: how far back the analysis window starts (labels lag
        inferences), whole hours. Default: SageMaker's.
    :param end_time_offset: how far back it ends. Default: SageMaker's.

    The other props are the same for every kind: see :class:`ModelMonitor`.
    """

    _kind = _MODEL_QUALITY

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        problem_type: ProblemType | None = None,
        ground_truth: S3Location | None = None,
        baseline_constraints: S3Location | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold: float | None = None,
        start_time_offset: Duration | None = None,
        end_time_offset: Duration | None = None,
        **props: Unpack[MonitorProps],
    ) -> None:
        super().__init__(scope, construct_id, **props)
        cls = sagemaker.CfnModelQualityJobDefinition
        require(
            isinstance(problem_type, ProblemType),
            self,
            "problem_type",
            problem_type,
            "is not a ProblemType",
            "pass ProblemType.BINARY_CLASSIFICATION, MULTICLASS_CLASSIFICATION or REGRESSION",
        )
        assert problem_type is not None
        labels = self._bind_required(
            ground_truth,
            "ground_truth",
            "pass the prefix your labels are written to: S3Location.from_bucket(bucket, "
            "'<prefix>'), labels under <prefix>/yyyy/mm/dd/hh/",
            prefix=True,
        )
        constraints = self._bind_required(
            baseline_constraints,
            "baseline_constraints",
            "pass the constraints.json of a model-quality baselining job",
        )
        check_range(self, "probability_threshold", probability_threshold, 0, 1)
        start, end = _check_offsets(self, start_time_offset, end_time_offset)
        self._configure_job_definition(
            app_specification=cls.ModelQualityAppSpecificationProperty(
                image_uri=self.image_uri,
                problem_type=problem_type.value,
                environment=self._environment,
            ),
            job_input=cls.ModelQualityJobInputProperty(
                endpoint_input=self._endpoint_input(
                    inference_attribute=inference_attribute,
                    probability_attribute=probability_attribute,
                    probability_threshold_attribute=probability_threshold,
                    start_time_offset=start,
                    end_time_offset=end,
                ),
                ground_truth_s3_input=cls.MonitoringGroundTruthS3InputProperty(s3_uri=labels),
            ),
            baseline_config=cls.ModelQualityBaselineConfigProperty(
                constraints_resource=cls.ConstraintsResourceProperty(s3_uri=constraints)
            ),
        )
