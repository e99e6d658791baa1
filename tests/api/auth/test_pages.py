"""The same rules on the HTML pages: an admin page without credential is a 401 page (with the challenge, so a
browser can ask for a login), a page's own reads run as the page's principal, the command form has its
credential field."""

from __future__ import annotations

import base64

import httpx

from bridge.api.app import create_app
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.auth.support import BASE, PASSWORD, auth_settings, bearer, ptz_stream

HTML = {"Accept": "text/html"}


async def test_pages_follow_the_access_rules() -> None:
    store = await SqlStore.open("sqlite:///:memory:")
    settings = Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth_settings())
    app = create_app(settings, store)
    app.state.content_origins = [{"source": "legacy-sos", "title": "The legacy SOS", "description": "recorded"}]
    await store.start_run("legacy-sos")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            page = await client.get("/sources", headers=HTML)
            assert page.status_code == 401 and "text/html" in page.headers["content-type"]
            assert 'Basic realm="csapi-bridge"' in page.headers["www-authenticate"]  # a browser may ask for a login
            assert "admin" in page.text
            fetch = await client.get("/sources", headers={**HTML, "Sec-Fetch-Mode": "cors"})
            assert "Basic" not in fetch.headers["www-authenticate"]  # a script's fetch: no login dialog
            login = {"Authorization": "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()}
            page = await client.get("/sources", headers={**HTML, **login})
            assert page.status_code == 200 and "legacy-sos" in page.text
            landing = await client.get("/", headers=HTML)  # reads /sources through the app, as anonymous: refused
            assert landing.status_code == 200 and "The legacy SOS" in landing.text  # the origin is still told
            assert "/sources/legacy-sos" not in landing.text
            landing = await client.get("/", headers={**HTML, **login})  # as alice, who may read /sources
            assert "/sources/legacy-sos" in landing.text
            cs = await ptz_stream(client, bearer("all"))
            page = await client.get(f"/controlstreams/{cs}", headers=HTML)
            assert 'id="command-credential"' in page.text and 'type="password"' in page.text
    finally:
        await store.close()
