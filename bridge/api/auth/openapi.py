"""The access rules in the OpenAPI document: the security schemes configured, and per operation the role it
needs (`x-required-role`), its `security` requirement (optional when anonymous clients have the role) and its
401 / 403 answers."""

from __future__ import annotations

from typing import Any

from bridge.api.auth.access import Access
from bridge.api.auth.rules import Rule

_ERROR = {"application/json": {"schema": {"type": "object", "required": ["code", "description"]}}}


def _schemes(access: Access) -> dict[str, dict[str, Any]]:
    auth = access.settings.auth
    schemes: dict[str, dict[str, Any]] = {}
    if auth.oidc or auth.api_keys:
        accepted = [n for n, on in (("JWT access tokens of the configured issuers", auth.oidc),
                                    ("API keys (csb_…)", auth.api_keys)) if on]  # fmt: skip
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": " or ".join(accepted)}
        if auth.oidc:
            schemes["bearer"]["bearerFormat"] = "JWT"
    if auth.api_keys:
        schemes["apiKey"] = {"type": "apiKey", "in": "header", "name": auth.api_key_header}
    if auth.basic_users:
        schemes["basic"] = {"type": "http", "scheme": "basic"}
    return schemes


def _rules_by_operation(access: Access) -> dict[tuple[str, str], Rule]:
    return {(rule.template, rule.method.lower()): rule for rule in access.table.rules}


def security_in_openapi(schema: dict[str, Any], access: Access) -> None:
    """Declare the security schemes and each operation's role, security requirement and 401/403 answers."""
    schemes = _schemes(access)
    if schemes:
        schema.setdefault("components", {})["securitySchemes"] = schemes
    rules = _rules_by_operation(access)
    anonymous = set(access.settings.auth.anonymous_roles)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rule = rules.get((path, method))
            if rule is None or not isinstance(operation, dict):
                continue
            role = rule.role
            operation["x-required-role"] = str(role) if role is not None else "none"
            if role is None:
                operation["security"] = [{}]
                continue
            requirement = [{name: [str(role)]} for name in schemes]
            operation["security"] = ([{}] if role in anonymous else []) + requirement
            responses = operation.setdefault("responses", {})
            if role not in anonymous:
                responses.setdefault(
                    "401", {"description": "No credential, or one that is not valid", "content": _ERROR}
                )
            if schemes:
                responses.setdefault(
                    "403", {"description": f"The credential lacks the '{role}' role", "content": _ERROR}
                )
