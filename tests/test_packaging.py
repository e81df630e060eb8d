"""The library installs as a wheel, and a consumer app synthesizes against that wheel alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (built,) = out.glob("sagemaker_mlops_constructs-*.whl")
    return built


def test_wheel_holds_the_library_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "constructs_lib/serving/endpoint.py" in names
    assert "constructs_lib/py.typed" in names
    assert not [n for n in names if n.startswith(("stacks/", "tests/", "config/", "model/"))]


def test_consumer_app_synthesizes_against_the_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    outdir = tmp_path / "cdk.out"
    env = {
        **os.environ,
        # Only the unpacked wheel and the installed dependencies: not the repository.
        "PYTHONPATH": str(site),
        "PYTHONSAFEPATH": "1",
        "CDK_OUTDIR": str(outdir),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT / "examples" / "consumer_app",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    template = json.loads((outdir / "FraudScoring.template.json").read_text())
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::SageMaker::Model") == 2
    assert "AWS::SageMaker::Endpoint" in types
    endpoint = next(
        r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint"
    )
    routing = endpoint["Properties"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert routing["TrafficRoutingConfiguration"]["Type"] == "LINEAR"
