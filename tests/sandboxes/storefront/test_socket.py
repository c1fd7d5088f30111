"""Over real sockets: plain httpx, and Shopify's own Python library (`ShopifyAPI`) over TLS."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ferry.sandboxes.kit.server import running
from ferry.sandboxes.kit.tls import ensure_tls_files
from ferry.sandboxes.storefront import ACCESS_TOKEN, StorefrontSandbox

SMALL = {"customers": 30, "orders": 20}


def test_orders_are_served_over_a_real_socket() -> None:
    sandbox = StorefrontSandbox(sizes=SMALL)
    with running(sandbox) as base_url, httpx.Client(base_url=base_url) as client:
        r = client.get("/admin/api/2025-07/orders.json", headers={"X-Shopify-Access-Token": ACCESS_TOKEN})
    assert r.status_code == 200
    assert len(r.json()["orders"]) > 0
    assert r.headers["x-shopify-shop-api-call-limit"] == "1/40"


def test_shopify_python_api_reads_and_pages_over_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shopify = pytest.importorskip("shopify")
    tls = ensure_tls_files(tmp_path / "tls")
    # urllib (under pyactiveresource) trusts the default store; point it at the sandbox's CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_cert))
    sandbox = StorefrontSandbox(sizes=SMALL)
    with running(sandbox, tls=tls) as base_url:
        session = shopify.Session("ferry-demo.myshopify.com", "2025-07", ACCESS_TOKEN)
        shopify.ShopifyResource.activate_session(session)
        # The library builds https://<shop>.myshopify.com URLs; send them to the sandbox instead.
        shopify.ShopifyResource.set_site(f"{base_url.replace('127.0.0.1', 'localhost')}/admin/api/2025-07")
        try:
            shop = shopify.Shop.current()
            count = shopify.Order.count(status="any")
            pages = [shopify.Order.find(status="any", limit=8)]
            while pages[-1].has_next_page():
                pages.append(pages[-1].next_page())
            created = shopify.Customer.create({"first_name": "Lib", "email": "lib@example.com"})
        finally:
            shopify.ShopifyResource.clear_session()
    ids = [o.id for page in pages for o in page]
    assert shop.myshopify_domain == "ferry-demo.myshopify.com"
    assert len(ids) == len(set(ids)) == count
    assert created.id and not created.errors.full_messages()
