"""A small method+path router for the ``/v1`` API (path templates like ``/v1/customers/{id}``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.params import Params

Handler = Callable[[Ctx, Params, dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    accepts: frozenset[str] | None = None
    """top-level parameters the endpoint takes (None: not checked); others are refused
    with ``parameter_unknown`` as Stripe does"""


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler,
            accepts: str | None = None) -> None:
        """``accepts``: the parameter names the endpoint takes, space separated."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        names = None if accepts is None else frozenset(accepts.split()) | {"expand"}
        self.routes.append(Route(method.upper(), re.compile(f"^{regex}$"), handler, names))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is not None:
                return route, found.groupdict()
        return None
