"""Every Python block of the README runs as-is, as a user would paste it into a file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.api import lint

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.M | re.S)


def test_the_readme_has_python_examples() -> None:
    assert BLOCKS


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs_as_is(index: int, tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(BLOCKS[index])
    outdir = tmp_path / "cdk.out"
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # The installed package only, not the repository's folders.
        "PYTHONSAFEPATH": "1",
        "PYTHONPATH": "",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # What a block synthesizes is a template CloudFormation accepts.
    for path in outdir.glob("*.template.json") if outdir.exists() else []:
        assert json.loads(path.read_text())["Resources"], path
        errors = [m for m in lint(path.read_text(), regions=["us-east-1"]) if m.rule.id[0] == "E"]
        assert errors == [], "\n".join(map(str, errors))
