"""`/datastreams` family (Part 2 `/conf/datastream`)."""

from bridge.api.dynamic_queries import datastream_query
from bridge.api.routes.streams import stream_router
from bridge.model.csapi import Kind

router = stream_router(Kind.DATASTREAM, datastream_query, "Datastreams")
