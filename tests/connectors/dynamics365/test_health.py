from __future__ import annotations

from ferry.connectors import connector_class
from ferry.connectors.contract import Connector, WebhookSource
from ferry.connectors.dynamics365 import DataverseConnector
from tests.connectors.dynamics365.conftest import Served


def test_the_entry_point_loads_the_connector() -> None:
    cls = connector_class("dynamics365")
    assert cls is DataverseConnector
    assert cls.name == "dynamics365"


async def test_the_connector_fits_the_contract(connector: DataverseConnector) -> None:
    conn: Connector = connector
    assert isinstance(conn.webhooks, WebhookSource)


async def test_check_reports_the_user_and_the_burst_remaining(connector: DataverseConnector) -> None:
    health = await connector.check()
    assert health.ok, health.detail
    assert health.extra["UserId"]
    assert health.rate_limit_remaining is not None and health.rate_limit_remaining > 0


async def test_check_with_a_wrong_secret_reports_failure_without_the_secret(served: Served) -> None:
    conn = DataverseConnector(served.config(client_secret="not-the-s3cret"))
    try:
        health = await conn.check()
    finally:
        await conn.aclose()
    assert not health.ok
    assert health.extra["error"] == "AuthError"
    assert "AADSTS7000215" in health.detail
    assert "not-the-s3cret" not in repr(health) + repr(conn) + repr(conn.config)


async def test_describe_has_accounts_keyed_by_accountnumber_with_status_choices(
    connector: DataverseConnector,
) -> None:
    (accounts,) = await connector.describe(entities=["accounts"])
    assert accounts.id_field == "accountid"
    assert ("accountnumber",) in accounts.keys
    assert accounts.incremental and accounts.reports_deletes
    status = accounts.fields["statuscode"]
    assert status.type == "choice"
    assert status.choices == {1: "Active", 2: "Inactive"}
    assert accounts.fields["name"].max_length == 160


async def test_describe_gives_lookups_targets_required_and_read_only_columns(connector: DataverseConnector) -> None:
    schemas = {
        s.name: s for s in await connector.describe(entities=["accounts", "contacts", "products", "salesorders"])
    }
    lookup = schemas["accounts"].fields["_primarycontactid_value"]
    assert (lookup.type, lookup.references) == ("reference", "contacts")
    assert schemas["accounts"].fields["primarycontactid"].type == "object"  # the nested (expanded) form
    assert schemas["salesorders"].fields["_customerid_value"].references == "accounts,contacts"
    assert schemas["products"].fields["productnumber"].required
    assert schemas["contacts"].fields["fullname"].read_only
    assert not schemas["contacts"].fields["firstname"].read_only


async def test_describe_covers_every_entity_set_by_default(connector: DataverseConnector) -> None:
    names = {s.name for s in await connector.describe()}
    assert {"accounts", "contacts", "salesorders", "msdyn_purchaseorders"} <= names
