"""`/controlstreams` family (Part 2 `/conf/controlstream`)."""

from bridge.api.dynamic_queries import controlstream_query
from bridge.api.routes.streams import stream_router
from bridge.model.csapi import Kind

router = stream_router(Kind.CONTROL_STREAM, controlstream_query, "Control streams")
