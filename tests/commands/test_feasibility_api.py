"""The Part 2 feasibility class on a control stream created through the API (no legacy service behind it):
the resources and links of `/conf/feasibility`, independent of SPS (whose GetFeasibility is tested end to end
in test_sps_forwarding.py)."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.api.conformance import CS2
from tests.validate import PART2, assert_valid

PARAMS_SCHEMA = {
    "type": "DataRecord",
    "name": "params",
    "fields": [
        {
            "type": "Quantity",
            "name": "pan",
            "definition": "http://sensorml.com/ont/swe/property/PanAngle",
            "label": "Pan",
            "uom": {"code": "deg"},
            "constraint": {"type": "AllowedValues", "intervals": [[-180, 180]]},
        }
    ],
}


async def _stream(client: httpx.AsyncClient) -> str:
    system = {
        "type": "Feature",
        "geometry": None,
        "properties": {"uid": "urn:x-test:ptz", "name": "PTZ", "featureType": "http://www.w3.org/ns/sosa/Sensor"},
    }
    made = await client.post("/systems", json=system, headers={"Content-Type": "application/geo+json"})
    assert made.status_code == 201, made.text
    system_id = made.headers["Location"].rsplit("/", 1)[-1]
    body = {"name": "PTZ control", "schema": {"commandFormat": "application/json", "parametersSchema": PARAMS_SCHEMA}}
    made = await client.post(f"/systems/{system_id}/controlstreams", json=body)
    assert made.status_code == 201, made.text
    return str(made.headers["Location"].rsplit("/", 1)[-1])


def _rels(body: dict[str, Any]) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in body["links"]}


async def test_feasibility_resources(client: httpx.AsyncClient) -> None:
    assert CS2 + "feasibility" in (await client.get("/conformance")).json()["conformsTo"]
    cs_id = await _stream(client)
    posted = await client.post(
        f"/controlstreams/{cs_id}/feasibility", json={"parameters": {"pan": 10}}, headers={"Idempotency-Key": "f-1"}
    )
    assert posted.status_code == 201, posted.text
    location = posted.headers["Location"]
    feas_id = location.rsplit("/", 1)[-1]
    assert location == f"http://testserver/feasibility/{feas_id}"
    retried = await client.post(
        f"/controlstreams/{cs_id}/feasibility", json={"parameters": {"pan": 10}}, headers={"Idempotency-Key": "f-1"}
    )
    assert retried.headers["Location"] == location

    body = (await client.get(f"/feasibility/{feas_id}")).json()
    assert_valid(PART2 + "command.json", body)
    assert body["controlstream@id"] == cs_id and body["currentStatus"] == "PENDING"
    assert _rels(body)["self"] == location and _rels(body)["status"] == location + "/status"
    nested = (await client.get(f"/controlstreams/{cs_id}/feasibility/{feas_id}")).json()
    assert _rels(nested)["canonical"] == location
    assert [i["id"] for i in (await client.get("/feasibility")).json()["items"]] == [feas_id]
    assert [i["id"] for i in (await client.get(f"/controlstreams/{cs_id}/feasibility")).json()["items"]] == [feas_id]

    (status,) = (await client.get(f"/feasibility/{feas_id}/status")).json()["items"]
    assert_valid(PART2 + "commandStatus.json", status)
    assert status["statusCode"] == "PENDING" and status["links"][0]["href"].startswith(location + "/status/")
    one = await client.get(f"/feasibility/{feas_id}/status/{status['id']}")
    assert one.status_code == 200 and one.json()["id"] == status["id"]
    assert (await client.get(f"/feasibility/{feas_id}/result")).json()["items"] == []

    assert (await client.get("/commands")).json()["items"] == []  # a feasibility request is not a command
    assert (await client.get(f"/commands/{feas_id}")).status_code == 404
    bad = await client.post(f"/controlstreams/{cs_id}/feasibility", json={"parameters": {"pan": 500}})
    assert bad.status_code == 400 and "pan" in bad.json()["description"]
    assert (await client.get("/feasibility/nope")).status_code == 404
    assert (await client.get("/controlstreams/nope/feasibility")).status_code == 404
