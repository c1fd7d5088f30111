from __future__ import annotations

import re

import httpx

from tests.sandboxes.storefront.conftest import API, in_stock_variant


def _next_link(response: httpx.Response, rel: str = "next") -> str | None:
    for part in response.headers.get("link", "").split(", "):
        if part.endswith(f'rel="{rel}"'):
            url: str = part.split(";")[0].strip("<>")
            return url
    return None


async def test_link_header_walks_every_order_exactly_once_while_orders_are_created(api: httpx.AsyncClient) -> None:
    total = (await api.get(f"{API}/orders/count.json", params={"status": "any"})).json()["count"]
    variant = await in_stock_variant(api)
    seen: list[int] = []
    url: str | None = f"{API}/orders.json?status=any&limit=7"
    while url:
        page = await api.get(url)
        assert page.status_code == 200
        seen += [o["id"] for o in page.json()["orders"]]
        # A checkout lands while the walk is under way; it must not shift the pages.
        new = {"order": {"line_items": [{"variant_id": variant["id"], "quantity": 1}], "email": "walker@example.com"}}
        assert (await api.post(f"{API}/orders.json", json=new)).status_code == 201
        url = _next_link(page)
    assert len(seen) == len(set(seen)) == total


async def test_previous_link_returns_the_page_before(api: httpx.AsyncClient) -> None:
    first = await api.get(f"{API}/customers.json", params={"limit": 5})
    second = await api.get(_next_link(first) or "")
    back = await api.get(_next_link(second, "previous") or "")
    assert _next_link(first, "previous") is None
    assert [c["id"] for c in back.json()["customers"]] == [c["id"] for c in first.json()["customers"]]


async def test_page_info_refuses_other_filters_as_shopify_does(api: httpx.AsyncClient) -> None:
    first = await api.get(f"{API}/orders.json", params={"status": "any", "limit": 5})
    link = _next_link(first) or ""
    r = await api.get(link + "&status=any")
    assert r.status_code == 400
    assert r.json()["errors"]["status"].startswith("status cannot be passed when page_info is present")


async def test_a_tampered_page_info_is_an_invalid_value(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/orders.json", params={"page_info": "not-a-cursor"})
    assert r.status_code == 400
    assert r.json() == {"errors": {"page_info": "Invalid value."}}


async def test_limit_above_250_is_refused(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/products.json", params={"limit": 251})
    assert r.status_code == 400
    assert "limit" in r.json()["errors"]


async def test_since_id_returns_only_later_ids_in_ascending_order(api: httpx.AsyncClient) -> None:
    everything = (await api.get(f"{API}/orders.json", params={"status": "any", "limit": 250})).json()["orders"]
    pivot = sorted(o["id"] for o in everything)[len(everything) // 2]
    r = await api.get(f"{API}/orders.json", params={"status": "any", "since_id": pivot, "limit": 250})
    ids = [o["id"] for o in r.json()["orders"]]
    assert ids == sorted(i for i in (o["id"] for o in everything) if i > pivot)


async def test_fields_limits_each_record_to_the_named_fields(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/orders.json", params={"status": "any", "fields": "id,name,total_price", "limit": 3})
    orders = r.json()["orders"]
    assert orders and all(set(o) == {"id", "name", "total_price"} for o in orders)
    assert all(re.fullmatch(r"#\d+", o["name"]) for o in orders)


async def test_count_agrees_with_the_filtered_list(api: httpx.AsyncClient) -> None:
    params = {"status": "any", "financial_status": "paid", "fulfillment_status": "shipped"}
    count = (await api.get(f"{API}/orders/count.json", params=params)).json()["count"]
    listed = (await api.get(f"{API}/orders.json", params={**params, "limit": 250})).json()["orders"]
    assert count == len(listed) > 0
    assert all(o["financial_status"] == "paid" and o["fulfillment_status"] == "fulfilled" for o in listed)


async def test_default_status_lists_only_open_orders(api: httpx.AsyncClient) -> None:
    open_orders = (await api.get(f"{API}/orders.json", params={"limit": 250})).json()["orders"]
    any_count = (await api.get(f"{API}/orders/count.json", params={"status": "any"})).json()["count"]
    assert all(o["closed_at"] is None and o["cancelled_at"] is None for o in open_orders)
    assert len(open_orders) < any_count
