"""Compatibility name: the diagnosis lives in `advisor/diagnosis/` (split by job)."""

from __future__ import annotations

from .diagnosis import diagnose, force, primary_pattern, uses

__all__ = ["diagnose", "force", "primary_pattern", "uses"]
