"""SensorThings API 1.0/1.1 source (+ MultiDatastream, dataArray, Tasking Core): records and reader."""

from bridge.sources.sta.errors import StaError
from bridge.sources.sta.observations import ObservationBatch
from bridge.sources.sta.reader import StaReader, StaReaderConfig

__all__ = ["ObservationBatch", "StaError", "StaReader", "StaReaderConfig"]
