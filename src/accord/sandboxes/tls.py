"""A local certificate authority and server certificate for sandboxes that serve HTTPS.

Generated once with ``trustme`` into ``<data_dir>/tls/`` and reused, so a client that trusts
``ca.pem`` keeps trusting restarted sandboxes. The folder appears whole: it is written under
another name and renamed into place, so a client waiting for ``ca.pem`` never reads half a
file, and sandboxes starting together all serve the one CA that was renamed first.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path
    cert_chain: Path
    private_key: Path

    @classmethod
    def under(cls, directory: Path) -> TLSFiles:
        return cls(directory / "ca.pem", directory / "server-chain.pem",
                   directory / "server-key.pem")

    def complete(self) -> bool:
        return all(path.exists() for path in (self.ca_cert, self.cert_chain, self.private_key))


def ensure_tls(data_dir: Path) -> TLSFiles:
    directory = data_dir / "tls"
    files = TLSFiles.under(directory)
    if files.complete():
        return files
    if directory.exists():  # left incomplete by an older accord: made again
        shutil.rmtree(directory, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".tls-"))
    _generate(TLSFiles.under(staging))
    try:
        staging.rename(directory)
    except OSError:  # another process renamed its folder first: serve that one
        shutil.rmtree(staging, ignore_errors=True)
        if not files.complete():
            raise
    return files


def _generate(files: TLSFiles) -> None:
    ca = trustme.CA(organization_name="accord sandbox CA")
    server = ca.issue_cert("127.0.0.1", "localhost", "::1")
    server.private_key_pem.write_to_path(str(files.private_key))
    files.private_key.chmod(0o600)
    with files.cert_chain.open("wb") as handle:
        for blob in server.cert_chain_pems:
            handle.write(blob.bytes())
    ca.cert_pem.write_to_path(str(files.ca_cert))


__all__ = ["TLSFiles", "ensure_tls"]
