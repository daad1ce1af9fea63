"""A local certificate authority and server certificate for sandboxes that serve HTTPS.

Generated once with ``trustme`` into ``<data_dir>/tls/`` and reused, so a client that trusts
``ca.pem`` keeps trusting restarted sandboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path
    cert_chain: Path
    private_key: Path


def ensure_tls(data_dir: Path) -> TLSFiles:
    directory = data_dir / "tls"
    files = TLSFiles(directory / "ca.pem", directory / "server-chain.pem",
                     directory / "server-key.pem")
    if all(path.exists() for path in (files.ca_cert, files.cert_chain, files.private_key)):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="accord sandbox CA")
    server = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca.cert_pem.write_to_path(str(files.ca_cert))
    server.private_key_pem.write_to_path(str(files.private_key))
    with files.cert_chain.open("wb") as handle:
        for blob in server.cert_chain_pems:
            handle.write(blob.bytes())
    files.private_key.chmod(0o600)
    return files


__all__ = ["TLSFiles", "ensure_tls"]
