"""ECR registry accounts of the SageMaker scikit-learn serving image, per AWS region.

The serving image ``sagemaker-scikit-learn:1.2-1-cpu-py3`` is published by AWS in
one ECR registry per region; its URI is
``<account>.dkr.ecr.<region>.<dns-suffix>/sagemaker-scikit-learn:1.2-1-cpu-py3``,
where ``<dns-suffix>`` is the partition's URL suffix (``amazonaws.com``,
``amazonaws.com.cn``, ...).

Source: the image URI configuration of the SageMaker Python SDK, repository
``aws/sagemaker-python-sdk``, file ``src/sagemaker/image_uri_config/sklearn.json``
(``inference`` scope, version ``1.2-1``), cross-checked against the newer copy of
that file at ``sagemaker-core/src/sagemaker/core/image_uri_config/sklearn.json``.
The table holds every region either copy lists for 1.2-1: the newer copy adds
``us-isof-east-1`` and ``us-isof-south-1`` to the 35 regions of the older one,
and no account differs between the two.

The SageMaker XGBoost framework image (``sagemaker-xgboost``, version ``1.7-1``,
``src/sagemaker/image_uri_config/xgboost.json``) is served from the same account
in every one of these regions, hence the table's name. This does not hold for
the legacy built-in ``xgboost`` algorithm image (version ``1``), which uses
different accounts.
"""

SKLEARN_IMAGE_REPOSITORY = "sagemaker-scikit-learn"
SKLEARN_IMAGE_TAG = "1.2-1-cpu-py3"

SKLEARN_XGBOOST_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-iso-east-1": "833128469047",
    "us-isob-east-1": "281123927165",
    "us-isof-east-1": "108575199400",
    "us-isof-south-1": "124985052026",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
