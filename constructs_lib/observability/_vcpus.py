"""vCPU and GPU counts of SageMaker hosting instance types.

SageMaker reports ``CPUUtilization`` summed over cores (a 4-vCPU instance reads 0-400 %) and
``GPUUtilization`` / ``GPUMemoryUtilization`` summed over GPUs. Alarms and dashboards divide
by these counts to show 0-100 %. The table covers the common ``ml.*`` families; for any other
type the caller passes the counts explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GPU_FAMILIES", "InstanceSpec", "lookup"]


@dataclass(frozen=True)
class InstanceSpec:
    """The processor counts of one instance type.

    :param vcpus: virtual CPUs.
    :param gpus: NVIDIA GPUs (0 for CPU, Inferentia and Trainium types). Default: 0.
    """

    vcpus: int
    gpus: int = 0


#: Families whose instances carry NVIDIA GPUs (and so publish GPU metrics).
GPU_FAMILIES = frozenset(
    {"g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en"}
)

_SIZE_VCPUS = {
    "medium": 2,
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
}


def _family(family: str, sizes: str, overrides: dict[str, int] | None = None) -> dict[str, int]:
    table = {size: _SIZE_VCPUS[size] for size in sizes.split() if size in _SIZE_VCPUS}
    table.update(overrides or {})
    return {f"ml.{family}.{size}": vcpus for size, vcpus in table.items()}


_STD_5 = "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge"
_STD_6 = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge"
_STD_7 = _STD_6 + " 48xlarge"
_GRAVITON = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge"

_CPU_TYPES: dict[str, int] = {
    **_family("t2", "medium large xlarge 2xlarge"),
    **_family("t3", "medium large xlarge 2xlarge"),
    **_family("m4", "xlarge 2xlarge 4xlarge 16xlarge", {"10xlarge": 40}),
    **_family("m5", _STD_5),
    **_family("m5d", _STD_5),
    **_family("m6i", _STD_6),
    **_family("m6id", _STD_6),
    **_family("m7i", _STD_7),
    **_family("c4", "large xlarge 2xlarge 4xlarge", {"8xlarge": 36}),
    **_family("c5", "large xlarge 2xlarge 4xlarge", {"9xlarge": 36, "18xlarge": 72}),
    **_family("c5d", "large xlarge 2xlarge 4xlarge", {"9xlarge": 36, "18xlarge": 72}),
    **_family("c6i", _STD_6),
    **_family("c6id", _STD_6),
    **_family("c7i", _STD_7),
    **_family("r5", _STD_5),
    **_family("r5d", _STD_5),
    **_family("r6i", _STD_6),
    **_family("r6id", _STD_6),
    **_family("r7i", _STD_7),
    **_family("m6g", _GRAVITON),
    **_family("c6g", _GRAVITON),
    **_family("c6gn", _GRAVITON),
    **_family("r6g", _GRAVITON),
    **_family("m7g", _GRAVITON),
    **_family("c7g", _GRAVITON),
    **_family("r7g", _GRAVITON),
    **_family("inf1", "xlarge 2xlarge 24xlarge", {"6xlarge": 24}),
    **_family("inf2", "xlarge 8xlarge 24xlarge 48xlarge"),
    **_family("trn1", "2xlarge 32xlarge"),
    **_family("trn1n", "32xlarge"),
}

# (vCPUs, GPUs) per GPU instance type.
_GPU_TYPES: dict[str, tuple[int, int]] = {
    "ml.g4dn.xlarge": (4, 1),
    "ml.g4dn.2xlarge": (8, 1),
    "ml.g4dn.4xlarge": (16, 1),
    "ml.g4dn.8xlarge": (32, 1),
    "ml.g4dn.12xlarge": (48, 4),
    "ml.g4dn.16xlarge": (64, 1),
    **{
        f"ml.{family}.{size}": counts
        for family in ("g5", "g6", "g6e")
        for size, counts in {
            "xlarge": (4, 1),
            "2xlarge": (8, 1),
            "4xlarge": (16, 1),
            "8xlarge": (32, 1),
            "16xlarge": (64, 1),
            "12xlarge": (48, 4),
            "24xlarge": (96, 4),
            "48xlarge": (192, 8),
        }.items()
    },
    "ml.p3.2xlarge": (8, 1),
    "ml.p3.8xlarge": (32, 4),
    "ml.p3.16xlarge": (64, 8),
    "ml.p3dn.24xlarge": (96, 8),
    "ml.p4d.24xlarge": (96, 8),
    "ml.p4de.24xlarge": (96, 8),
    "ml.p5.48xlarge": (192, 8),
    "ml.p5e.48xlarge": (192, 8),
    "ml.p5en.48xlarge": (192, 8),
}

_TABLE: dict[str, InstanceSpec] = {
    **{name: InstanceSpec(vcpus) for name, vcpus in _CPU_TYPES.items()},
    **{name: InstanceSpec(vcpus, gpus) for name, (vcpus, gpus) in _GPU_TYPES.items()},
}


def lookup(instance_type: str) -> InstanceSpec | None:
    """Return the vCPU and GPU counts of ``instance_type``, or None if the table lacks it."""
    return _TABLE.get(instance_type)
