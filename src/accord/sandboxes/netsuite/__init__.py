"""A local NetSuite: SuiteTalk REST record service and SuiteQL with token-based auth.

``accord sandbox start netsuite`` serves it on port 12113; ``accord sandbox credentials
netsuite`` prints the account id and the TBA consumer and token credentials it accepts.
"""

from __future__ import annotations

from accord.sandboxes.base import SandboxDefinition, SandboxEndpoint
from accord.sandboxes.netsuite.app import DEFAULT_CREDENTIALS, create_app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    creds = DEFAULT_CREDENTIALS
    return {"base_url": endpoint.base_url, "account_id": creds.account_id,
            "consumer_key": creds.consumer_key, "consumer_secret": creds.consumer_secret,
            "token_id": creds.token_id, "token_secret": creds.token_secret}


SANDBOX = SandboxDefinition(
    name="netsuite",
    description="Oracle NetSuite SuiteTalk REST web services and SuiteQL (OAuth 1.0a TBA)",
    default_port=12113,
    create_app=create_app,
    credentials=credentials,
    tls=False,
)

__all__ = ["SANDBOX", "credentials"]
