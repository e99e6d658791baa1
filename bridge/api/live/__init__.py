"""Live streams of the facade over WebSocket: observations and commands as they are committed, replay of
observations from a past time, and ingestion / command submission over the same socket (README "WebSocket
streams")."""

from typing import Any

from fastapi import APIRouter

from bridge.api.live import commands, observations, status
from bridge.api.live.observations import live_tail
from bridge.api.live.tail import stop_tails

router = APIRouter()
router.include_router(observations.router)
router.include_router(commands.router)
router.include_router(status.router)


async def stop_live(app: Any) -> None:
    """Stop the app's live tails, if they were started (app shutdown)."""
    await stop_tails(app)


__all__ = ["live_tail", "router", "stop_live"]
