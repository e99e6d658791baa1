"""Replays of recorded legacy services on loopback, for the demo (`csapi-bridge serve --demo`).

Each replay is a small ASGI app answering the requests of one legacy protocol (SOS 2.0, SensorThings 1.1,
SPS 2.0) with real responses recorded from public servers (`fixtures/replay/manifest.yaml` names them; every
file keeps its provenance line in the `PROVENANCE.md` of its folder). What a replay changes, and only this: the
recorded server's base URL is rewritten to the replay's own address (so every link a harvester follows stays
on loopback), and a request that no recording answers gets the protocol's own answer for "nothing there" — an
empty collection, an empty GetObservationResponse, or an exception report saying that nothing was recorded.
"""
