"""Read a stack file into a validated SiteSpec, or explain every problem with its key path.

Nothing here raises anything but ``SpecError``: a malformed stack file is a user error with a
clear message, never a traceback.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from launchready.spec.consistency import consistency_problems
from launchready.spec.models import SiteSpec

CONFIG_KEY = "launchready:site"
DEFAULT_STACKS_DIR = Path("stacks")


@dataclass(frozen=True, slots=True)
class SpecProblem:
    path: str
    """Key path inside the stack file, e.g. ``launchready:site.firewall.rate_limits[0].period``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(Exception):
    """A stack file that cannot be used; carries one problem per mistake."""

    def __init__(self, problems: Sequence[SpecProblem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in the site spec:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def format_path(loc: Sequence[str | int], root: str = CONFIG_KEY) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_site(data: Any, *, source: str | None = None) -> SiteSpec:
    """Validate a ``launchready:site`` mapping: field rules first, then plan and cross-field rules."""
    if not isinstance(data, dict):
        raise SpecError(
            [SpecProblem(CONFIG_KEY, f"expected a mapping of site settings, got {_kind(data)}")],
            source,
        )
    try:
        spec = SiteSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_from_validation_error(exc), source) from None
    problems = [SpecProblem(format_path(loc), msg) for loc, msg in consistency_problems(spec)]
    if problems:
        raise SpecError(problems, source)
    return spec


STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""Pulumi's own rule for stack names; anything else (``../x``, spaces) is refused before a path is built."""


def stack_path(stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> Path:
    if not STACK_NAME.fullmatch(stack) or stack.strip(".") == "":
        raise SpecError([SpecProblem(
            "--stack", f"{stack!r} is not a Pulumi stack name: use letters, digits, '-', '_' and '.' "
                       "(at most 100), e.g. client-com")])
    return stacks_dir / f"Pulumi.{stack}.yaml"


def available_stacks(stacks_dir: Path = DEFAULT_STACKS_DIR) -> list[str]:
    if not stacks_dir.is_dir():
        return []
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> dict[str, Any]:
    """The stack file's ``config`` mapping (secure values stay encrypted blobs)."""
    path = stack_path(stack, stacks_dir)
    if not path.is_file():
        found = available_stacks(stacks_dir)
        hint = f"stacks here: {', '.join(found)}" if found else f"no stack files in {stacks_dir}/"
        where = "" if stacks_dir == DEFAULT_STACKS_DIR else f" --stacks-dir {stacks_dir}"
        raise SpecError(
            [SpecProblem(str(path), f"no stack named {stack!r} ({hint}); create one with "
                                    f"`launchready new DOMAIN --stack {stack}{where}`")]
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([SpecProblem(str(path), f"not valid YAML{where}: {problem}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecProblem(str(path), f"cannot read: {exc}")]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise SpecError([SpecProblem(str(path), "expected a top-level 'config:' mapping")])
    config: dict[str, Any] = document["config"]
    return config


def load_stack(stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> SiteSpec:
    config = read_stack_config(stack, stacks_dir)
    path = stack_path(stack, stacks_dir)
    if CONFIG_KEY not in config:
        raise SpecError([SpecProblem(CONFIG_KEY, "missing: the stack has no site spec")], str(path))
    return parse_site(config[CONFIG_KEY], source=str(path))


def site_json_schema() -> dict[str, Any]:
    schema = SiteSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "launchready site spec (stack config key launchready:site)"
    return schema


def site_json_schema_text() -> str:
    return json.dumps(site_json_schema(), indent=2, sort_keys=True)


# --------------------------------------------------------------------------- helpers


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def _from_validation_error(exc: ValidationError) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    for err in exc.errors(include_url=False):
        loc = [part for part in err["loc"] if not _is_union_tag(part)]
        message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            message = "unknown key" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            message = "required key is missing"
        elif kind.endswith("_type") and "input" in err:
            message = f"{message} (got {_kind(err['input'])})"
        problems.append(SpecProblem(format_path(loc), message))
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the chosen union member (e.g. 'list[str]', 'function-after[...]') to loc.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "bool", "none"))


def _allowed_keys(loc: Sequence[str | int]) -> list[str]:
    model: type[BaseModel] | None = SiteSpec
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    return sorted(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
