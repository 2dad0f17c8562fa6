"""Cloudflare API calls end in a bounded, predictable time, and a malformed base URL is a usage error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare.client import (
    MAX_RETRY_AFTER,
    CloudflareDeadline,
    CloudflareError,
    check_base_url,
    make_client,
)
from launchready.cloudflare.reader import read_zone_state
from launchready.testbed.cloudflare_api import FakeCloudflare
from launchready.testbed.web import SilentServer
from tests.cloudflare.conftest import CANARY, ZONE_ID, seed_zone

STACKS = Path(__file__).resolve().parents[2] / "stacks"
runner = CliRunner()


@pytest.mark.integration
def test_drift_against_a_silent_api_fails_within_seconds_with_exit_3() -> None:
    with SilentServer() as silent:
        started = time.monotonic()
        result = runner.invoke(app, ["drift", "--stack", "example", "--stacks-dir", str(STACKS),
                                     "--base-url", f"http://127.0.0.1:{silent.port}/client/v4",
                                     "--timeout", "0.5", "--retries", "0"],
                               env={"CLOUDFLARE_API_TOKEN": CANARY})
        took = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert "did not answer in time (1 attempt(s) of 0.5 s each" in result.stderr
    assert CANARY not in result.output
    assert took < 8, took  # the plan runs first (about 1-2 s); the API part is 0.5 s


@pytest.mark.integration
@pytest.mark.parametrize("command", [["adopt", "shop.example"], ["backup"]])
def test_adopt_and_backup_take_timeout_and_retries(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "Pulumi.shop.yaml").write_text(
        (STACKS / "Pulumi.example.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with SilentServer() as silent:
        started = time.monotonic()
        result = runner.invoke(app, [*command, "--stack", "shop", "--stacks-dir", str(tmp_path),
                                     "--base-url", f"http://127.0.0.1:{silent.port}/client/v4",
                                     "--timeout", "0.3", "--retries", "1"],
                               env={"CLOUDFLARE_API_TOKEN": CANARY})
        took = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert "2 attempt(s) of 0.3 s each" in result.stderr
    assert took < 5, took


@pytest.mark.integration
def test_a_hostile_retry_after_is_not_waited_for_and_the_error_says_so(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    fake.fail_next(1, status=429, retry_after="3600")
    client = make_client(CANARY, fake.base_url, max_retries=3, timeout=2)
    started = time.monotonic()
    with pytest.raises(CloudflareError) as caught:
        read_zone_state(client, ZONE_ID, parts={"records"})
    assert time.monotonic() - started < 3
    message = str(caught.value)
    assert "asked to wait 3600 s" in message and f"at most {MAX_RETRY_AFTER:g} s" in message


@pytest.mark.integration
def test_a_short_retry_after_is_still_honoured(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    fake.fail_next(1, status=429, retry_after="0.2")
    client = make_client(CANARY, fake.base_url, max_retries=2, timeout=2)
    started = time.monotonic()
    state = read_zone_state(client, ZONE_ID, parts={"records"})
    assert state.records and time.monotonic() - started >= 0.2


@pytest.mark.integration
def test_a_deadline_bounds_every_attempt_and_retry() -> None:
    with SilentServer() as silent:
        client = make_client(CANARY, f"http://127.0.0.1:{silent.port}/client/v4", max_retries=4,
                             timeout=10, deadline=time.monotonic() + 0.4)
        started = time.monotonic()
        with pytest.raises(CloudflareDeadline) as caught:
            read_zone_state(client, ZONE_ID, parts={"records"})
        took = time.monotonic() - started
    assert took < 2, took
    assert "run deadline was reached" in str(caught.value)


@pytest.mark.parametrize("url", ["not-a-url", "ftp://api.example/client/v4", "http://",
                                 "https:///client/v4", "http://host:port/x", "http://a b/"])
def test_check_base_url_refuses_malformed_urls(url: str) -> None:
    with pytest.raises(ValueError):
        check_base_url(url)


def test_check_base_url_keeps_good_urls() -> None:
    assert check_base_url("http://127.0.0.1:8080/client/v4") == "http://127.0.0.1:8080/client/v4"
    assert check_base_url("https://api.cloudflare.com/client/v4")


@pytest.mark.parametrize("command", [
    ["drift", "--stack", "example"],
    ["adopt", "example.com", "--stack", "example"],
    ["backup", "--stack", "example"],
    ["restore", "backups/none", "--stack", "example"],
])
def test_a_malformed_base_url_is_a_usage_error_in_every_command(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--stacks-dir", str(STACKS), "--base-url", "not-a-url"],
                           env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 2, result.output
    assert "--base-url: 'not-a-url' is not an http(s) URL" in result.stderr
    assert "Traceback" not in result.output


def test_a_malformed_base_url_from_the_environment_is_a_usage_error_too() -> None:
    result = runner.invoke(app, ["drift", "--stack", "example", "--stacks-dir", str(STACKS)],
                           env={"CLOUDFLARE_API_TOKEN": CANARY, "CLOUDFLARE_BASE_URL": "http://"})
    assert result.exit_code == 2, result.output
    assert "$CLOUDFLARE_BASE_URL: 'http://' has no valid host" in result.stderr
