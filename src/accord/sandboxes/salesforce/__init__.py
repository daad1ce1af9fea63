"""A Salesforce sandbox that the official ``simple-salesforce`` client accepts unchanged.

HTTPS with a local CA; REST under ``/services/data/vXX.X/`` (sobjects CRUD and upsert,
describe, SOQL query/queryAll with paging, sObject Collections, limits); Salesforce's error
array; ``Sforce-Limit-Info``; a CDC-style change feed under ``/__sandbox/salesforce/cdc``.
See ``docs/sandboxes/salesforce.md``.
"""

from accord.sandboxes.base import SandboxDefinition
from accord.sandboxes.salesforce.app import API_VERSION, DEFAULT_SESSION_ID, create_app, credentials

SANDBOX = SandboxDefinition(
    name="salesforce",
    description="Salesforce REST API (sobjects, SOQL, collections, limits, CDC feed)",
    default_port=12112,
    create_app=create_app,
    credentials=credentials,
    tls=True,
)

__all__ = ["API_VERSION", "DEFAULT_SESSION_ID", "SANDBOX"]
