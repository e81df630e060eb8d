"""Where a monitoring job reads its inputs in S3: baselines, ground truth, analysis configs.

:class:`S3Location` names an object (a baseline ``constraints.json`` or ``statistics.json``,
a Clarify ``analysis_config.json``) or a prefix (ground-truth labels, written under
``<prefix>/yyyy/mm/dd/hh/`` after the inferences). Binding it to a monitor grants the job's
role the read of exactly that object or prefix, and the decrypt of its key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from constructs_lib.core import InvalidPropsError, is_token, pascal_case, require
from constructs_lib.monitoring._permissions import MonitorPolicy

__all__ = ["S3Location"]


@dataclass(frozen=True)
class S3Location:
    """An S3 object or prefix that a monitoring job reads.

    Use :meth:`from_bucket` (objects written by a baselining job, labels written by your
    labelling process) or :meth:`from_asset` (a baseline or analysis config kept in your
    repository, uploaded at deploy).
    """

    bucket: s3.IBucket | None = None
    key: str | None = None
    encryption_key: kms.IKey | None = None
    asset_path: str | None = None

    @staticmethod
    def from_bucket(
        bucket: s3.IBucket, key: str, *, encryption_key: kms.IKey | None = None
    ) -> S3Location:
        """An object or prefix in a bucket.

        :param bucket: the bucket (``s3.Bucket.from_bucket_name`` works).
        :param key: the object key, or the prefix (no trailing ``/``) for ground truth.
        :param encryption_key: the KMS key of the objects; the job may decrypt with it.
            Default: ``bucket.encryption_key`` (none for SSE-S3 buckets and for imported
            buckets not given one).
        """
        return S3Location(bucket=bucket, key=key, encryption_key=encryption_key)

    @staticmethod
    def from_asset(path: str) -> S3Location:
        """A local file uploaded as a CDK asset at deploy (``cdk synth`` only stages it).

        :param path: the file, e.g. ``baselines/constraints.json``.
        """
        return S3Location(asset_path=path)

    def _bind_object(self, scope: Construct, policy: MonitorPolicy, prop: str) -> str:
        """Grant the read of the object; return its ``s3://`` URI."""
        if self.asset_path is not None:
            require(
                os.path.isfile(self.asset_path),
                scope,
                prop,
                self.asset_path,
                "is not an existing file",
                "pass the path of the JSON file (relative paths are read from the current "
                "directory)",
            )
            asset = s3_assets.Asset(scope, f"{pascal_case(prop)}Asset", path=self.asset_path)
            policy.read_object(asset.bucket, asset.s3_object_key, None)
            return asset.s3_object_url
        bucket, key = self._checked(scope, prop)
        policy.read_object(bucket, key, self.encryption_key or bucket.encryption_key)
        return bucket.s3_url_for_object(key)

    def _bind_prefix(self, scope: Construct, policy: MonitorPolicy, prop: str, reason: str) -> str:
        """Grant the read of everything under the prefix; return its ``s3://`` URI."""
        if self.asset_path is not None:
            raise InvalidPropsError(
                scope,
                prop,
                self.asset_path,
                "is a local file, but this input is a prefix SageMaker reads new objects from "
                "at each run",
                "pass S3Location.from_bucket(bucket, '<prefix>')",
            )
        bucket, key = self._checked(scope, prop)
        prefix = key.strip("/") if not is_token(key) else key
        policy.read_prefix(bucket, prefix, self.encryption_key or bucket.encryption_key, reason)
        return bucket.s3_url_for_object(prefix)

    def _checked(self, scope: Construct, prop: str) -> tuple[s3.IBucket, str]:
        bucket, key = self.bucket, self.key
        if bucket is None or key is None:
            raise InvalidPropsError(
                scope,
                prop,
                self,
                "names no bucket and key",
                "use S3Location.from_bucket(bucket, key) or S3Location.from_asset(path)",
            )
        if not is_token(key):
            require(
                bool(key.strip("/")) and not key.startswith("/") and len(key) <= 1000,
                scope,
                prop,
                key,
                "is not an S3 key or prefix",
                "pass a key without a leading '/', e.g. 'monitoring/baseline/constraints.json'",
            )
        return bucket, key
