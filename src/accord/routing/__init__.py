"""Routing: rules that pick the target system instance for each role (CRM, billing, ERP)."""

from accord.routing.rules import (
    Condition,
    Role,
    Route,
    RoutingContext,
    RoutingError,
    RoutingTable,
    Rule,
    load_routing,
    route,
)

__all__ = [
    "Condition",
    "Role",
    "Route",
    "RoutingContext",
    "RoutingError",
    "RoutingTable",
    "Rule",
    "load_routing",
    "route",
]
