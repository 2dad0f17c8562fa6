"""The site spec: typed models, presets, plan limits and the stack-file loader (no pulumi, no network)."""

from launchready.spec.limits import LIMITS, Plan, PlanLimits
from launchready.spec.loader import (
    CONFIG_KEY,
    SpecError,
    SpecProblem,
    available_stacks,
    load_stack,
    parse_site,
    read_stack_config,
    site_json_schema,
    stack_path,
)
from launchready.spec.models import SiteSpec

__all__ = [
    "CONFIG_KEY",
    "LIMITS",
    "Plan",
    "PlanLimits",
    "SiteSpec",
    "SpecError",
    "SpecProblem",
    "available_stacks",
    "load_stack",
    "parse_site",
    "read_stack_config",
    "site_json_schema",
    "stack_path",
]
