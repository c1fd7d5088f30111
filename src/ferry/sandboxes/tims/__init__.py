"""The TIMS ERP sandbox: an emulator of the TIMS REST API (`specs/tims-api.md`)."""

from ferry.sandboxes.tims.sandbox import TimsSandbox

__all__ = ["TimsSandbox"]
