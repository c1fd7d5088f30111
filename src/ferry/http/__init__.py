"""The one HTTP seam every connector uses: an aiohttp-backed client with auth flows, a client-side
rate limit, and one table that turns HTTP outcomes into ferry's failure classes.

aiohttp was chosen by measurement over httpx (`bench/http_clients.py`, docs/architecture.md).
"""

from ferry.http.auth import Auth, ClientCredentials, HeaderAuth
from ferry.http.client import HttpClient, Response
from ferry.http.errors import ErrorTable, classify, retry_after
from ferry.http.limits import TokenBucket

__all__ = [
    "Auth",
    "ClientCredentials",
    "ErrorTable",
    "HeaderAuth",
    "HttpClient",
    "Response",
    "TokenBucket",
    "classify",
    "retry_after",
]
