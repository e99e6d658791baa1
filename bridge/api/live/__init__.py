"""Live streams of the facade over WebSocket: observations as they are committed, replay from a past time, and
ingestion over the same socket (README "WebSocket streams")."""

from bridge.api.live.observations import live_tail, router, stop_live

__all__ = ["live_tail", "router", "stop_live"]
