"""SOS 2.0 protocol layer: typed records, request builders and namespace-aware, streaming parsers.

No I/O here: the harvester fetches with `bridge.sources.http.PoliteClient` (`.stream()` for
GetObservation bodies) and hands bytes or a binary stream to these functions.
"""

from bridge.sources.sos2.capabilities import parse_capabilities
from bridge.sources.sos2.exceptions import OwsException, Sos1OnlyError, check_exception
from bridge.sources.sos2.features import iter_features_of_interest, parse_feature
from bridge.sources.sos2.kvp import (
    kvp_describe_sensor,
    kvp_get_capabilities,
    kvp_get_data_availability,
    kvp_get_feature_of_interest,
    kvp_get_observation,
    kvp_get_observation_by_id,
    kvp_get_result,
    kvp_get_result_template,
)
from bridge.sources.sos2.observations import iter_observations
from bridge.sources.sos2.pox import (
    parse_get_observation_request,
    pox_describe_sensor,
    pox_get_capabilities,
    pox_get_data_availability,
    pox_get_feature_of_interest,
    pox_get_observation,
    pox_get_result,
    pox_get_result_template,
    soap_envelope,
)
from bridge.sources.sos2.result_handling import (
    iter_result_values,
    parse_data_availability,
    parse_result_template,
)
from bridge.sources.sos2.results import sos_observation_type_to_swe, uom_json
from bridge.sources.sos2.sensors import parse_describe_sensor

__all__ = [
    "OwsException",
    "Sos1OnlyError",
    "check_exception",
    "iter_features_of_interest",
    "iter_observations",
    "iter_result_values",
    "kvp_describe_sensor",
    "kvp_get_capabilities",
    "kvp_get_data_availability",
    "kvp_get_feature_of_interest",
    "kvp_get_observation",
    "kvp_get_observation_by_id",
    "kvp_get_result",
    "kvp_get_result_template",
    "parse_capabilities",
    "parse_data_availability",
    "parse_describe_sensor",
    "parse_feature",
    "parse_get_observation_request",
    "parse_result_template",
    "pox_describe_sensor",
    "pox_get_capabilities",
    "pox_get_data_availability",
    "pox_get_feature_of_interest",
    "pox_get_observation",
    "pox_get_result",
    "pox_get_result_template",
    "soap_envelope",
    "sos_observation_type_to_swe",
    "uom_json",
]
