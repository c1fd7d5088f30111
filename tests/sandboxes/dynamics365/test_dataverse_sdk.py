"""Microsoft's Python SDK for Dataverse (PowerPlatform-Dataverse-Client), unchanged, against the sandbox over TLS.

It authenticates with azure-identity's ClientSecretCredential pointed at the sandbox's Entra ID endpoints, resolves
entity set names from `EntityDefinitions`, reads picklist metadata to turn choice labels into values, and writes
with single requests, `CreateMultiple`/`UpdateMultiple` and `BulkDelete`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.identity import ClientSecretCredential
from PowerPlatform.Dataverse.client import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.kit.tls import TLSFiles, ensure_tls_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return ensure_tls_files(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def served(tls: TLSFiles) -> Iterator[tuple[Dynamics365Sandbox, str]]:
    sandbox = Dynamics365Sandbox(sizes={"accounts": 12, "salesorders": 2})
    with running(sandbox, tls=tls) as base_url:
        yield sandbox, base_url


@pytest.fixture
def client(
    served: tuple[Dynamics365Sandbox, str], tls: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DataverseClient]:
    sandbox, base_url = served
    # The SDK's requests session trusts REQUESTS_CA_BUNDLE, which is how a user points it at a private CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_cert))
    creds = sandbox.credentials()
    credential = ClientSecretCredential(
        creds["tenant_id"],
        creds["client_id"],
        creds["client_secret"],
        authority=base_url,
        disable_instance_discovery=True,
        connection_verify=str(tls.ca_cert),
    )
    # Both hold pooled connections; closing them lets the server shut down without dropping any.
    with credential, DataverseClient(base_url, credential) as dataverse:
        yield dataverse


def stored(sandbox: Dynamics365Sandbox, table: str, row_id: str) -> dict[str, object] | None:
    return sandbox.service.store.get(table, row_id)


def test_create_then_retrieve_returns_only_the_selected_columns(client: DataverseClient) -> None:
    account_id = client.records.create("account", {"name": "Northwind Traders", "telephone1": "555-0100"})
    record = client.records.retrieve("account", account_id, select=["name"])
    assert record is not None
    assert record["name"] == "Northwind Traders"
    assert "telephone1" not in record.data


def test_choice_labels_are_turned_into_values_through_picklist_metadata(
    client: DataverseClient, served: tuple[Dynamics365Sandbox, str]
) -> None:
    account_id = client.records.create("account", {"name": "Label Co", "customertypecode": "Customer"})
    row = stored(served[0], "account", account_id)
    assert row is not None and row["customertypecode"] == 3


def test_list_pages_walks_a_filtered_query_in_pages_of_the_requested_size(
    client: DataverseClient, served: tuple[Dynamics365Sandbox, str]
) -> None:
    pages = list(client.records.list_pages("account", filter="statecode eq 0", select=["name"], page_size=4))
    active = [a for a in served[0].service.store.rows["account"].values() if a["statecode"] == 0]
    assert len(pages) > 1
    assert all(0 < len(page) <= 4 for page in pages)
    ids = [record["accountid"] for page in pages for record in page]
    assert sorted(ids) == sorted(a["accountid"] for a in active)


def test_update_changes_the_stored_row(client: DataverseClient, served: tuple[Dynamics365Sandbox, str]) -> None:
    account_id = client.records.create("account", {"name": "Before"})
    client.records.update("account", account_id, {"name": "After", "telephone1": "555-0199"})
    row = stored(served[0], "account", account_id)
    assert row is not None and (row["name"], row["telephone1"]) == ("After", "555-0199")


def test_delete_removes_the_row_so_retrieve_returns_none(client: DataverseClient) -> None:
    account_id = client.records.create("account", {"name": "Short-lived"})
    client.records.delete("account", account_id)
    assert client.records.retrieve("account", account_id) is None


def test_create_and_update_many_go_through_the_bulk_messages(
    client: DataverseClient, served: tuple[Dynamics365Sandbox, str]
) -> None:
    ids = client.records.create("account", [{"name": "Bulk A"}, {"name": "Bulk B"}, {"name": "Bulk C"}])
    client.records.update("account", ids, {"telephone1": "555-0000"})
    rows = [stored(served[0], "account", i) for i in ids]
    assert [(r or {}).get("name") for r in rows] == ["Bulk A", "Bulk B", "Bulk C"]
    assert {(r or {}).get("telephone1") for r in rows} == {"555-0000"}


def test_deleting_a_list_runs_a_bulk_delete_job(
    client: DataverseClient, served: tuple[Dynamics365Sandbox, str]
) -> None:
    ids = client.records.create("account", [{"name": "Gone 1"}, {"name": "Gone 2"}])
    job_id = client.records.delete("account", ids)
    assert job_id is not None
    assert [stored(served[0], "account", i) for i in ids] == [None, None]
    job = stored(served[0], "asyncoperation", job_id)
    assert job is not None and job["statuscode"] == 30


def test_tables_are_read_from_entity_definitions(client: DataverseClient) -> None:
    info = client.tables.get("msdyn_productinventory")
    assert info is not None and info.entity_set_name == "msdyn_productinventories"
    listed = client.tables.list(filter="LogicalName eq 'contact'", select=["LogicalName", "EntitySetName"])
    assert [t["EntitySetName"] for t in listed] == ["contacts"]


def test_fetchxml_queries_are_refused_not_silently_ignored(client: DataverseClient) -> None:
    query = client.query.fetchxml('<fetch top="2"><entity name="account"><attribute name="name" /></entity></fetch>')
    with pytest.raises(HttpError, match="does not run FetchXML queries"):
        query.execute()
