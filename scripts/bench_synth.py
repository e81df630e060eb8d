"""Benchmark: wall time of synthesizing the reference app vs. a one-empty-stack app.

Each run is a fresh ``python`` process, as ``cdk synth`` starts one: the empty app measures
the jsii start-up floor. Prints the median of several runs, their ratio, and the
CloudFormation resources per stack of the reference app.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
EMPTY_APP = (
    "import os; os.environ.setdefault('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20')\n"
    "import aws_cdk as cdk\n"
    "app = cdk.App(); cdk.Stack(app, 'Empty'); app.synth()\n"
)


def _time(args: list[str], outdir: str) -> float:
    env = {
        **os.environ,
        "CDK_OUTDIR": outdir,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _monitored_stack_resources(endpoints: int) -> int:
    """Resources of a stack with a shared topic and ``endpoints`` fully monitored endpoints.

    Each endpoint has two instance variants, its alarms (metric alarms as rollback alarms), log
    group with a model-error alarm, dashboard and event rules: what the reference app adds.
    """
    os.environ.setdefault("CDK_VALIDATION", "false")
    from aws_cdk import App, Stack

    from constructs_lib import (
        ContainerImage,
        DeploymentPolicy,
        Endpoint,
        Model,
        ProductionVariant,
    )
    from constructs_lib.observability import (
        EndpointAlarms,
        EndpointDashboard,
        EndpointEventRules,
        EndpointLogGroup,
        MonitoredVariant,
        NotificationTopic,
    )

    app = App()
    stack = Stack(app, "Bench")
    topic = NotificationTopic(stack, "Topic")
    for i in range(endpoints):
        name = f"bench-{i}"
        image = ContainerImage.from_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1")
        variants = [
            ProductionVariant(
                name=v,
                model=Model(stack, f"M{i}{v}", image=image),
                instance_type="ml.m5.large",
                initial_instance_count=2,
            )
            for v in ("a", "b")
        ]
        alarms = EndpointAlarms(
            stack,
            f"Alarms{i}",
            actions=topic.actions,
            endpoint_name=name,
            variants=[MonitoredVariant.from_production_variant(v) for v in variants],
        )
        assert alarms.composite is not None
        endpoint = Endpoint(
            stack,
            f"Endpoint{i}",
            endpoint_name=name,
            variants=variants,
            deployment_policy=DeploymentPolicy.canary(rollback_alarms=alarms.rollback_alarms),
        )
        logs = EndpointLogGroup(stack, f"Logs{i}", endpoint=endpoint)
        logs.alarm_on_model_errors(actions=topic.actions)
        EndpointDashboard(stack, f"Dashboard{i}", endpoint=endpoint, alarms=alarms.all_alarms)
        EndpointEventRules(stack, f"Events{i}", topic=topic.topic, endpoint_names=[name])
    template = app.synth().get_stack_by_name("Bench").template
    return len(template["Resources"])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        empty = [_time([sys.executable, "-c", EMPTY_APP], f"{tmp}/e{i}") for i in range(RUNS)]
        ref = [_time([sys.executable, "app.py"], f"{tmp}/r{i}") for i in range(RUNS)]
        e, r = statistics.median(empty), statistics.median(ref)
        print(f"runs per app:              {RUNS} (median wall time)")
        print(f"one-empty-stack app:       {e:6.2f} s   (jsii floor)")
        print(f"reference app (+cdk-nag):  {r:6.2f} s")
        print(f"ratio reference / empty:   {r / e:6.2f}   (target <= 1.5)")
        for template in sorted(Path(f"{tmp}/r0").glob("*.template.json")):
            resources = json.loads(template.read_text())["Resources"]
            size = template.stat().st_size
            counts = Counter(v["Type"] for v in resources.values())
            print(f"{template.name}: {len(resources)} resources, {size} bytes")
            for kind, n in sorted(counts.items()):
                print(f"    {n:3d} {kind}")
    one, two = _monitored_stack_resources(1), _monitored_stack_resources(2)
    per_endpoint = two - one
    base = one - per_endpoint
    fit = (500 - base) // per_endpoint
    print(f"monitored endpoint (2 instance variants): {per_endpoint} resources each")
    print(f"    (shared per stack: {base}); endpoints per stack under 500 resources: {fit}")


if __name__ == "__main__":
    main()
