"""The SageMaker-provided images that Model Monitor jobs run, per region, resolved offline.

The region -> registry-account tables are copied from the SageMaker Python SDK, which
``image_uris.retrieve("model-monitor", region)`` and ``image_uris.retrieve("clarify", region)``
read:

- repository: https://github.com/aws/sagemaker-python-sdk
- commit: a24812666d258d9d19c9a82d0c9385ca0bd3ba01 (2026-08-21)
- files: ``sagemaker-core/src/sagemaker/core/image_uri_config/model-monitor.json`` (blob
  886ae2611f487213e6369b1f14a2e5dae4aaa1cc) and ``.../clarify.json`` (blob
  3f74ac94931c770d49d983956d43446809716c12). Before SDK v3 the same blobs lived at
  ``src/sagemaker/image_uri_config/``.

Only the data tables are copied. The SDK gives the Model Monitor analyzer without a tag (the
SageMaker developer guide, "Amazon SageMaker Model Monitor prebuilt container", does too),
which Amazon ECR resolves as ``latest``; Clarify's processing image is version ``1.0``.
Regions missing from a table have no such image: the constructs refuse them at synth when
the stack's region is known, and the CloudFormation mapping has no entry otherwise.
"""

from __future__ import annotations

__all__ = [
    "CLARIFY_IMAGE_REPOSITORY",
    "CLARIFY_IMAGE_TAG",
    "CLARIFY_REGISTRY_ACCOUNTS",
    "MODEL_MONITOR_IMAGE_REPOSITORY",
    "MODEL_MONITOR_IMAGE_TAG",
    "MODEL_MONITOR_REGISTRY_ACCOUNTS",
]

#: The analyzer of data-quality and model-quality jobs.
MODEL_MONITOR_IMAGE_REPOSITORY = "sagemaker-model-monitor-analyzer"
#: The SDK's URI has no tag; ``latest`` is the tag Amazon ECR resolves it to.
MODEL_MONITOR_IMAGE_TAG = "latest"

#: The SageMaker Clarify processing image of model-bias and model-explainability jobs.
CLARIFY_IMAGE_REPOSITORY = "sagemaker-clarify-processing"
CLARIFY_IMAGE_TAG = "1.0"

#: model-monitor.json, versions[""].registries.
MODEL_MONITOR_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-central-2": "590183933784",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-south-2": "437450045455",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "il-central-1": "843974653677",
    "me-central-1": "588750061953",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-isof-east-1": "853188333426",
    "us-isof-south-1": "467912361380",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}

#: clarify.json, processing.versions["1.0"].registries.
CLARIFY_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "811711786498",
    "ap-east-1": "098760798382",
    "ap-northeast-1": "377024640650",
    "ap-northeast-2": "263625296855",
    "ap-northeast-3": "912233562940",
    "ap-south-1": "452307495513",
    "ap-southeast-1": "834264404009",
    "ap-southeast-2": "007051062584",
    "ap-southeast-3": "705930551576",
    "ca-central-1": "675030665977",
    "cn-north-1": "122526803553",
    "cn-northwest-1": "122578899357",
    "eu-central-1": "017069133835",
    "eu-central-2": "730335477804",
    "eu-north-1": "763603941244",
    "eu-south-1": "638885417683",
    "eu-west-1": "131013547314",
    "eu-west-2": "440796970383",
    "eu-west-3": "341593696636",
    "me-south-1": "835444307964",
    "sa-east-1": "520018980103",
    "us-east-1": "205585389593",
    "us-east-2": "211330385671",
    "us-gov-west-1": "598674086554",
    "us-isof-east-1": "579539705040",
    "us-isof-south-1": "411392592546",
    "us-west-1": "740489534195",
    "us-west-2": "306415355426",
}
