"""`/properties` (Req 34-37, 67, 76): SensorML-JSON only."""

from __future__ import annotations

from bridge.api.queries import property_query
from bridge.api.routes.resources import canonical_router
from bridge.model.csapi import Kind

router = canonical_router(Kind.PROPERTY, property_query, can_create=True, title="Properties")
