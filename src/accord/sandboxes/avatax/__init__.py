"""A local emulator of Avalara AvaTax REST v2 that the official ``avalara`` client
(``AvataxClient``) accepts, pointed at it through the client's ``environment`` argument
(a base URL).

Transactions (estimates, invoices committed or not, commit, void, adjust, refund) with
per-line jurisdiction details and a summary, address resolution, tax codes, customers and
exemption certificates, AvaTax's error body, Basic auth with account id and license key.
Rates and nexus come from ``rates.toml``, a versioned table shipped with the sandbox. See
``docs/sandboxes/avatax.md``. Credentials: the base URL, the account id, the license key
and the company code.
"""

from accord.sandboxes.avatax.app import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LICENSE_KEY,
    create_app,
    credentials,
)
from accord.sandboxes.base import SandboxDefinition

SANDBOX = SandboxDefinition(
    name="avatax",
    description="Avalara AvaTax REST v2 (transactions, jurisdiction details, addresses, "
    "tax codes, exemption certificates, US sales tax and EU VAT)",
    default_port=12115,
    create_app=create_app,
    credentials=credentials,
    tls=False,
)

__all__ = ["DEFAULT_ACCOUNT_ID", "DEFAULT_LICENSE_KEY", "SANDBOX"]
