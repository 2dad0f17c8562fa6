"""The offline plan: what ``pulumi up`` would create, without the Pulumi CLI or Cloudflare.

The real program (``launchready.program.build_site``) runs under the Pulumi SDK's mock
engine; a recording monitor keeps every registered resource (components included) with its
inputs exactly as they reach the engine (wire camelCase). Drift, adopt and the policy pack
use ``to_json`` of this list as the desired state.

Each run happens on its own thread in a fresh ``contextvars`` context with its own event
loop, and resets the SDK's runtime settings first, so plans can be made repeatedly in one
process (and from async callers) without leaking state between runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from launchready.program import build_site
from launchready.redact import redact
from launchready.spec import SiteSpec, load_stack
from launchready.spec.loader import DEFAULT_STACKS_DIR

PROJECT = "launchready"
STACK_TYPE = "pulumi:pulumi:Stack"
LOG = logging.getLogger("launchready.plan")
"""Where the program's ``pulumi.log`` messages go during a plan (warnings reach stderr)."""


def placeholder_id(name: str) -> str:
    """Id of a resource that does not exist yet, in Pulumi YAML's interpolation style."""
    return "${" + name + ".id}"


@dataclass(frozen=True, slots=True)
class PlannedResource:
    type: str
    """Pulumi type token, e.g. ``cloudflare:index/zoneSetting:ZoneSetting``."""
    name: str
    """Logical name (unique in a plan)."""
    parent: str | None
    """Logical name of the parent component; None under the stack."""
    inputs: dict[str, Any]
    """Inputs as the engine receives them: camelCase keys, numbers as floats, ids of
    not-yet-created resources as ``${<name>.id}``."""
    protect: bool = False
    """Resource option: Pulumi refuses to delete it (the zone)."""
    delete_before_replace: bool = False
    """Resource option: a replacement deletes the old one first (A/AAAA/CNAME records)."""

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape; resource options stay out of it (they are not state)."""
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}


class _Mocks(mocks.Mocks):
    """Echo inputs as outputs and give each new resource a placeholder id."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return placeholder_id(args.name), dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(mocks.MockMonitor):
    """Keeps each registration with its parent; RPCs arrive on executor threads, hence the lock."""

    def __init__(self) -> None:
        super().__init__(_Mocks())
        self.recorded: list[PlannedResource] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != STACK_TYPE:
            resource = PlannedResource(
                type=request.type,
                name=request.name,
                parent=_parent_name(request.parent),
                inputs=_redact_secrets(rpc.deserialize_properties(request.object)),
                protect=bool(request.protect),
                delete_before_replace=bool(request.deleteBeforeReplace),
            )
            with self._lock:
                self.recorded.append(resource)
        return response


def _redact_secrets(value: Any) -> Any:
    """Values the program marks secret (e.g. webhook URLs) appear only redacted in a plan."""
    if rpc.is_rpc_secret(value):
        inner = rpc.unwrap_rpc_secret(value)
        return redact(inner if isinstance(inner, str) else json.dumps(inner, sort_keys=True))
    if isinstance(value, dict):
        return {k: _redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_secrets(v) for v in value]
    return value


def _parent_name(urn: str) -> str | None:
    """``urn:pulumi:<stack>::<project>::<type chain>::<name>`` -> name; the stack -> None."""
    if not urn:
        return None
    _, _, type_chain, name = urn.split("::", 3)
    return None if type_chain.split("$")[-1] == STACK_TYPE else name


def plan_spec(spec: SiteSpec, stack: str = "example") -> list[PlannedResource]:
    """Every resource the program registers for ``spec`` (components included), by name."""
    return run_offline(lambda: build_site(spec), stack=stack)


def plan_stack(stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> list[PlannedResource]:
    """Plan a stack file; raises ``SpecError`` for a missing or invalid one."""
    return plan_spec(load_stack(stack, stacks_dir), stack=stack)


def run_offline(
    program: Callable[[], object], *, stack: str, config: dict[str, str] | None = None
) -> list[PlannedResource]:
    """Run ``program`` under the mock engine and return what it registered.

    ``config`` is the flat Pulumi config (``{"launchready:site": "<json>"}``) for programs that
    read ``pulumi.Config``. Exceptions from the program propagate unchanged.
    """
    context = contextvars.Context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan") as pool:
        future = pool.submit(context.run, _run, program, stack, config or {})
        return future.result()


def _run(program: Callable[[], object], stack: str, config: dict[str, str]) -> list[PlannedResource]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK runs monitor calls on executor threads, and the mock monitor gives each such
    # thread an event loop; owning those threads lets every loop be closed afterwards.
    worker_loops: list[asyncio.AbstractEventLoop] = []
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(
        max_workers=4, thread_name_prefix="plan-rpc", initializer=_worker_loop, initargs=(worker_loops,)
    ))
    try:
        settings.reset_options(project=PROJECT, stack=stack, preview=False)
        set_all_config(config, [])
        monitor = _RecordingMonitor()
        mocks.set_mocks(
            monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor, logger=LOG
        )

        def body() -> None:
            program()

        _sync_await(run_pulumi_func(body))
        return sorted(monitor.recorded, key=lambda r: r.name)
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        for worker_loop in worker_loops:
            worker_loop.close()
        asyncio.set_event_loop(None)
        loop.close()


def _worker_loop(loops: list[asyncio.AbstractEventLoop]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops.append(loop)


def to_json(resources: list[PlannedResource]) -> str:
    """The desired state: a JSON list of ``{type, name, parent, inputs}``, sorted by name."""
    ordered = sorted(resources, key=lambda r: r.name)
    return json.dumps([r.as_dict() for r in ordered], indent=2, sort_keys=True)


