"""The identity registry: xref, matching (duplicate prevention), golden records under an
ownership policy, and recognition of accord's own writes coming back as echoes."""

from accord.registry.golden import GoldenRecords, GoldenView, MergeOutcome
from accord.registry.matching import MatchKind, MatchResult, index_customer, match_customer
from accord.registry.ownership import OwnershipPolicy, load_policy
from accord.registry.resolve import CustomerResolution, resolve_customer
from accord.registry.xref import XrefConflictError, Xrefs

__all__ = [
    "CustomerResolution",
    "GoldenRecords",
    "GoldenView",
    "MatchKind",
    "MatchResult",
    "MergeOutcome",
    "OwnershipPolicy",
    "XrefConflictError",
    "Xrefs",
    "index_customer",
    "load_policy",
    "match_customer",
    "resolve_customer",
]
