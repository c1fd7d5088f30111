"""A local certificate authority so sandboxes can serve HTTPS.

Real Entra ID, and Microsoft's `msal` library, insist on https authorities, and Shopify only delivers
webhooks over https. The sandboxes therefore can serve TLS with a certificate for localhost and
127.0.0.1 issued by a CA made on first use and kept in the state directory, so clients can trust it
(`verify=<dir>/ca.pem`) across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True, slots=True)
class TLSFiles:
    ca_cert: Path
    cert: Path
    key: Path


def ensure_tls_files(directory: Path) -> TLSFiles:
    """Create (once) a CA and a localhost certificate in `directory`, and return their paths."""
    files = TLSFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    if all(p.exists() for p in (files.ca_cert, files.cert, files.key)):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="ferry sandbox CA")
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    ca.cert_pem.write_to_path(str(files.ca_cert))
    server.private_key_pem.write_to_path(str(files.key))
    server.cert_chain_pems[0].write_to_path(str(files.cert))
    for extra in server.cert_chain_pems[1:]:
        with files.cert.open("ab") as fh:
            fh.write(extra.bytes())
    files.key.chmod(0o600)
    return files
