"""Tests for the vCPU and GPU counts that normalize CPU and GPU utilization."""

from __future__ import annotations

import pytest

from constructs_lib.observability._vcpus import InstanceSpec, lookup


@pytest.mark.parametrize(
    ("instance_type", "spec"),
    [
        ("ml.m5.large", InstanceSpec(2)),
        ("ml.c5.9xlarge", InstanceSpec(36)),
        ("ml.c4.8xlarge", InstanceSpec(36)),
        ("ml.g4dn.12xlarge", InstanceSpec(48, 4)),
        ("ml.g5.48xlarge", InstanceSpec(192, 8)),
        ("ml.p4d.24xlarge", InstanceSpec(96, 8)),
        ("ml.inf2.xlarge", InstanceSpec(4)),
        ("ml.nope.large", None),
    ],
)
def test_vcpu_table(instance_type: str, spec: InstanceSpec | None) -> None:
    assert lookup(instance_type) == spec
