"""A small git repository, made in a test's tmp_path, whose history once held keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.secrets.fakekeys import make_assigned, make_keys, private_key_block

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=GIT_ENV, check=True, capture_output=True, text=True, timeout=20
    ).stdout.strip()


def make_leaky_repo(repo: Path) -> tuple[dict[str, tuple[str, int]], str]:
    """Commit a config full of keys, then delete them. Return rule -> (secret, line) and the sha."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")

    lines = ["# settings", "DEBUG=false"]
    planted: dict[str, tuple[str, int]] = {}
    for rule, secret in make_keys().items():
        lines.append(f"KEY_{len(lines)}={secret}")
        planted[rule] = (secret, len(lines))
    for rule, (template, secret) in make_assigned().items():
        lines.append(template.format(v=secret))
        planted[rule] = (secret, len(lines))
    block = private_key_block()
    planted["private-key"] = (block, len(lines) + 1)
    lines.extend(block.splitlines())
    (repo / "config.env").write_text("\n".join(lines) + "\n")
    git(repo, "add", "config.env")
    git(repo, "commit", "-q", "-m", "add config")
    leaky = git(repo, "rev-parse", "HEAD")

    (repo / "config.env").write_text("# settings\nDEBUG=false\n")
    git(repo, "commit", "-q", "-am", "remove keys")
    return planted, leaky
