"""Cost, token and latency projections for a workflow, expected and worst, calibrated by traces.

Modules, each importing only those above it:
  costmodel (sizes, tallies, costs) -> calibrate (traces) -> figures (what is reported)
  -> costwalk (how each pattern moves tokens) -> engine (one plan's figures)
  -> alternatives (neighbouring rungs) -> project (the public entry points);
  chart and report format an Estimate; errors holds every error of the package.
"""

from __future__ import annotations

from .calibrate import Calibration, calibrate, read_runs
from .errors import EstimateError, TraceError, UnknownModelPrice
from .figures import DAYS_PER_MONTH, Alternative, Estimate, StepFigures
from .project import estimate_project, estimate_settings, project_prompts, read_prompts
from .report import contract_dict, render_text

__all__ = [
    "DAYS_PER_MONTH",
    "Alternative",
    "Calibration",
    "Estimate",
    "EstimateError",
    "StepFigures",
    "TraceError",
    "UnknownModelPrice",
    "calibrate",
    "contract_dict",
    "estimate_project",
    "estimate_settings",
    "project_prompts",
    "read_prompts",
    "read_runs",
    "render_text",
]
