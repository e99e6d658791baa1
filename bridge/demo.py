"""Demo content: POST the documents listed in a manifest through the facade itself."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from bridge.api.auth.principal import OPERATOR, SCOPE_KEY
from bridge.errors import ConfigError

log = logging.getLogger("bridge.demo")
_REF = re.compile(r"\{([A-Za-z0-9_-]+)\}")


def read_manifest(demo_dir: Path) -> list[dict[str, Any]]:
    """The steps of `manifest.yaml` (validated: each needs `post` and `file`)."""
    path = demo_dir / "manifest.yaml"
    try:
        steps = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"demo manifest not found: {path}") from None
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "post" in s and "file" in s for s in steps):
        raise ConfigError(f"{path}: expected a list of {{post, file[, name, type]}} steps")
    return steps


async def load_demo(app: Any, demo_dir: str | Path) -> int:
    """Load the demo set into the app's store; already present resources (409) are skipped.

    Returns the number of resources created.
    """
    root = Path(demo_dir)
    base = root.parent
    created: dict[str, str] = {}
    count = 0
    transport = httpx.ASGITransport(app=as_operator(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        for step in read_manifest(root):
            path = _REF.sub(lambda m: created.get(m.group(1), "missing"), str(step["post"]))
            body = (base / step["file"]).read_bytes()
            headers = {"Content-Type": step.get("type", "application/json")}
            response = await client.post(path, content=body, headers=headers)
            if response.status_code == 201:
                count += 1
                if "name" in step:
                    created[step["name"]] = response.headers["location"].rstrip("/").rsplit("/", 1)[-1]
            elif response.status_code == 409 and "name" in step:
                created[step["name"]] = await _existing_id(client, body, step)
            elif response.status_code != 409:
                log.warning("demo step %s %s failed: %s %s", path, step["file"], response.status_code, response.text)
    log.info("demo content: %d resources created from %s", count, root)
    origin = {
        "title": "Official OGC API – Connected Systems examples",
        "description": f"{len(read_manifest(root))} example documents of the standard (Part 1 and its use cases), "
        "posted through this API at start-up; see PROVENANCE.md beside them for their origin.",
        "href": "/systems",
    }
    app.state.content_origins = [*getattr(app.state, "content_origins", []), origin]
    return count


def as_operator(app: Any) -> Any:
    """The app with its requests made as the operator (the demo set is the operator's content, loaded at start-up
    through the API itself: the access rules see the `operator` principal, not an anonymous client)."""

    async def operator_app(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, SCOPE_KEY: OPERATOR}, receive, send)

    return operator_app


async def _existing_id(client: httpx.AsyncClient, body: bytes, step: dict[str, Any]) -> str:
    import orjson

    doc = orjson.loads(body)
    uid = doc.get("uniqueId") or doc.get("properties", {}).get("uid")
    response = await client.get("/systems", params={"id": uid})
    features = response.json().get("features", [])
    return str(features[0]["id"]) if features else "missing"
