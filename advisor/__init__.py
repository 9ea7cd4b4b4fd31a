"""wfadvise: pick the simplest LLM workflow pattern a task needs, and generate it."""

__version__ = "0.1.0"
