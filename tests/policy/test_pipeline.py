"""The GitHub Actions workflow renders to valid YAML with the expected jobs and gates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchready.pipeline import nightly_cron, render_github_workflow


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document = yaml.safe_load(render_github_workflow("client-a", "Client-A.example"))
    assert isinstance(document, dict)
    return document


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_triggers(workflow: dict[str, Any]) -> None:
    on = _triggers(workflow)
    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    assert "stacks/Pulumi.client-a.yaml" in on["pull_request"]["paths"]
    assert "policy/**" in on["push"]["paths"]
    assert on["schedule"] == [{"cron": nightly_cron("client-a")}]


def test_preview_job_runs_the_policy_pack_on_pull_requests(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["preview"]
    assert "pull_request" in job["if"]
    assert "pulumi preview --stack \"$STACK\" --policy-pack policy" in _runs(job)
    assert any(step.get("uses") == "pulumi/actions@v6" for step in job["steps"])


def test_deploy_job_ups_on_main_then_verifies(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["deploy"]
    assert "refs/heads/main" in job["if"] and "push" in job["if"]
    runs = [step.get("run", "") for step in job["steps"]]
    up = next(i for i, r in enumerate(runs) if "pulumi up --stack" in r)
    verify = next(i for i, r in enumerate(runs) if "launchready verify" in r)
    assert up < verify
    assert "--policy-pack policy" in runs[up]
    assert '--format junit --output "reports/verify-$STACK.xml"' in runs[verify]
    # verify's exit code is the step's: no `|| true`, no continue-on-error
    assert "|| true" not in runs[verify] and not job["steps"][verify].get("continue-on-error")
    assert job["steps"][verify + 1]["if"] == "always()"


def test_nightly_drift_job(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["drift"]
    assert "schedule" in job["if"]
    assert "launchready drift --stack \"$STACK\" --format json" in _runs(job)
    assert "set -o pipefail" in _runs(job)  # tee must not hide drift's exit 1


def test_secrets_come_from_github_secrets(workflow: dict[str, Any]) -> None:
    assert workflow["env"]["STACK"] == "client-a"
    assert workflow["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert workflow["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    for job in workflow["jobs"].values():
        assert job["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
    assert workflow["permissions"] == {"contents": "read"}


def test_domain_is_normalised_in_the_header() -> None:
    assert "for client-a.example (stack client-a)" in render_github_workflow("client-a", "Client-A.example")


@pytest.mark.parametrize("stack", ["", "a b", "x;rm -rf /", "-lead", "a\nb: c"])
def test_bad_stack_names_are_refused(stack: str) -> None:
    with pytest.raises(ValueError, match="stack name"):
        render_github_workflow(stack, "example.com")


def test_bad_domain_is_refused() -> None:
    with pytest.raises(ValueError):
        render_github_workflow("ok", "not a domain")


def test_cron_is_stable_and_spread() -> None:
    assert nightly_cron("a") == nightly_cron("a")
    crons = {nightly_cron(f"client-{i}") for i in range(50)}
    assert len(crons) > 30
    for cron in crons:
        minute, hour, *rest = cron.split()
        assert 0 <= int(minute) < 60 and 2 <= int(hour) <= 4 and rest == ["*", "*", "*"]


def test_every_run_block_is_valid_bash(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "run" in step:
                check = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True,
                                       text=True, timeout=10)
                assert check.returncode == 0, (name, step["run"], check.stderr)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("with_config", [False, True])
def test_preview_passes_the_stack_policy_config_when_present(workflow: dict[str, Any], tmp_path: Path,
                                                             with_config: bool) -> None:
    """Run the preview step's script with a stand-in `pulumi` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n')
    fake.chmod(0o755)
    (tmp_path / "policy").mkdir()
    if with_config:
        (tmp_path / "policy" / "config.client-a.json").write_text("{}")
    step = next(s for s in workflow["jobs"]["preview"]["steps"] if "pulumi preview" in s.get("run", ""))
    out = tmp_path / "args.txt"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "STACK": "client-a",
           "ARGS_OUT": str(out)}
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True, timeout=10)
    args = out.read_text().split()
    assert args[:5] == ["preview", "--stack", "client-a", "--policy-pack", "policy"]
    assert ("--policy-pack-config" in args) is with_config
    if with_config:
        assert args[args.index("--policy-pack-config") + 1] == "policy/config.client-a.json"
