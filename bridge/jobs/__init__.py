"""Orchestration: harvest runs, progress and reports, scheduled sync, status polling of forwarded commands."""
