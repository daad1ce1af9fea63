"""Record types of the NetSuite sandbox: metadata, conversion and operations."""

from accord.sandboxes.netsuite.records.catalog import SPECS, spec_for
from accord.sandboxes.netsuite.records.service import RecordService

__all__ = ["SPECS", "RecordService", "spec_for"]
