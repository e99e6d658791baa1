"""SPS 2.0 (OGC 09-000) protocol layer: parsers, request builders, parameter codec, status mapping, client."""

from bridge.model.legacy.sps2 import SpsException, SpsOutcomeUnknown
from bridge.sources.sps2.capabilities import parse_capabilities
from bridge.sources.sps2.client import SpsClient
from bridge.sources.sps2.common import unwrap
from bridge.sources.sps2.parameters import decode_alternatives, decode_parameters, encode_parameters
from bridge.sources.sps2.requests import (
    build_cancel,
    build_confirm,
    build_describe_result_access,
    build_describe_tasking,
    build_get_capabilities,
    build_get_feasibility,
    build_get_status,
    build_get_task,
    build_reserve,
    build_submit,
    build_update,
    kvp_params,
    soap_envelope,
    to_bytes,
)
from bridge.sources.sps2.results import parse_describe_result_access
from bridge.sources.sps2.status import (
    parse_cancel_response,
    parse_confirm,
    parse_get_feasibility,
    parse_get_status,
    parse_get_task,
    parse_reserve,
    parse_status_report,
    parse_submit_response,
    parse_update_response,
)
from bridge.sources.sps2.tasking import current_parameters, parse_describe_tasking
from bridge.sources.sps2.values import TaskingParameterError, validate_parameters

__all__ = [
    "SpsClient",
    "SpsException",
    "SpsOutcomeUnknown",
    "TaskingParameterError",
    "build_cancel",
    "build_confirm",
    "build_describe_result_access",
    "build_describe_tasking",
    "build_get_capabilities",
    "build_get_feasibility",
    "build_get_status",
    "build_get_task",
    "build_reserve",
    "build_submit",
    "build_update",
    "current_parameters",
    "decode_alternatives",
    "decode_parameters",
    "encode_parameters",
    "kvp_params",
    "parse_cancel_response",
    "parse_capabilities",
    "parse_confirm",
    "parse_describe_result_access",
    "parse_describe_tasking",
    "parse_get_feasibility",
    "parse_get_status",
    "parse_get_task",
    "parse_reserve",
    "parse_status_report",
    "parse_submit_response",
    "parse_update_response",
    "soap_envelope",
    "to_bytes",
    "unwrap",
    "validate_parameters",
]
