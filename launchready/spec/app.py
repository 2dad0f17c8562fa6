"""The ``app`` section of the site spec: what the application probes exercise.

Expanded by the app-probes work; kept separate so verify's web checks and the probes can
evolve without touching the Cloudflare-facing models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AppSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
