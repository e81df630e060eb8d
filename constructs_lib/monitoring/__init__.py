"""Monitoring: SageMaker Model Monitor job definitions and their schedules.

One concern per module: ``model_monitor`` (what every monitor shares), ``quality`` (data
quality and model quality), ``clarify`` (model bias and feature attribution), ``schedule``
(the cron expressions a monitoring schedule accepts), ``locations`` (the S3 inputs a job
reads: baselines, ground truth, analysis configs), ``_permissions`` (the job's
least-privilege role) and ``_monitor_images`` (the SageMaker-provided images per region).
"""

from constructs_lib.monitoring.clarify import ModelBiasMonitor, ModelExplainabilityMonitor
from constructs_lib.monitoring.locations import S3Location
from constructs_lib.monitoring.model_monitor import ModelMonitor, MonitorProps
from constructs_lib.monitoring.quality import DataQualityMonitor, ModelQualityMonitor, ProblemType
from constructs_lib.monitoring.schedule import MonitorSchedule

__all__ = [
    "DataQualityMonitor",
    "ModelBiasMonitor",
    "ModelExplainabilityMonitor",
    "ModelMonitor",
    "ModelQualityMonitor",
    "MonitorProps",
    "MonitorSchedule",
    "ProblemType",
    "S3Location",
]
