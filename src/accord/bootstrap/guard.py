"""The production guard: a production deployment does not start against sandboxes.

With ``environment = "production"``, every system that is enabled and configured must point
at its vendor's service: no local sandbox URL, and none of the test credentials its
connector names (:meth:`accord.settings.SystemSettings.production_problems`). ``accord
serve`` and ``accord worker`` refuse to start otherwise (through :func:`accord.bootstrap.
prepare`), and ``accord doctor`` fails its environment check.
"""

from __future__ import annotations

from collections.abc import Mapping

from accord.errors import PermanentError
from accord.settings import AccordSettings, Environment, SystemSettings


class ProductionGuardError(PermanentError):
    """Production settings that name a sandbox or test credentials."""

    code = "production_guard"


def production_problems(settings: AccordSettings,
                        systems: Mapping[str, SystemSettings]) -> list[str]:
    """Each problem as ``systems.<name>.<setting>: why``; empty outside production."""
    if settings.environment is not Environment.PRODUCTION:
        return []
    return [f"systems.{name}.{problem}" for name, found in sorted(systems.items())
            if found.enabled and found.configured for problem in found.production_problems()]


def refuse_in_production(settings: AccordSettings,
                         systems: Mapping[str, SystemSettings]) -> None:
    problems = production_problems(settings, systems)
    if problems:
        more = f" (and {len(problems) - 1} more: accord doctor lists them)" \
            if len(problems) > 1 else ""
        raise ProductionGuardError(f"production: {problems[0]}{more}")


__all__ = ["ProductionGuardError", "production_problems", "refuse_in_production"]
