"""The mapping designer's API on a served project: both schemas from the systems' metadata, live
sample records, a draft previewed over them (failures per record), and saved only when it compiles."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Systems, control_api, live

MAPPING = "mappings/account-to-customer.yaml"


async def test_a_draft_is_previewed_on_live_samples_and_saved_with_comments_kept(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with (
        live(root, systems, poll_seconds=None) as h,
        control_api(h, "ana", "admin") as admin,
        control_api(h, "olly", "operator") as operator,
    ):
        shown = (await admin.get("/api/flows/customers/designer")).json()
        assert shown["file"] == MAPPING and shown["samples_error"] is None
        assert {"name", "emailaddress1", "address1_country"} <= {f["name"] for f in shown["source"]["fields"]}
        assert {"CompanyName", "Email"} <= {f["name"] for f in shown["target"]["fields"]}
        assert ("CompanyName", "trim(name)") in [(f["target"], f["expression"]) for f in shown["fields"]]
        assert 1 <= len(shown["samples"]) <= 5 and all("name" in s for s in shown["samples"])

        draft = {"fields": {"CompanyName": "upper(trim(name))"}}
        preview = (await admin.post("/api/flows/customers/designer/preview", json=draft)).json()
        assert preview["problems"] == [] and len(preview["rows"]) == len(shown["samples"])
        names = {s["id"]: s["name"] for s in shown["samples"]}
        for row in preview["rows"]:
            assert row["output"]["CompanyName"] == names[row["input_id"]].strip().upper()
        assert "+  CompanyName: upper(trim(name))" in preview["diff"]

        failing = {"fields": {"Email": "no_such_function(emailaddress1)"}, "samples": shown["samples"][:1]}
        bad = (await admin.post("/api/flows/customers/designer/preview", json=failing)).json()
        assert bad["rows"] == [] and "no_such_function" in bad["problems"][0]["message"]
        assert bad["problems"][0]["line"] is not None

        one = dict(shown["samples"][0], address1_country="Atlantis", address1_composite=None)
        per_record = {"fields": {}, "samples": [one]}
        [row] = (await admin.post("/api/flows/customers/designer/preview", json=per_record)).json()["rows"]
        assert row["output"] is None and "Atlantis" in row["errors"]["BillingAddress.Country"]

        before = (root / MAPPING).read_text()
        refused = await operator.put("/api/flows/customers/designer", json=draft)
        broken = await admin.put("/api/flows/customers/designer", json=failing)
        assert refused.status_code == 403 and broken.status_code == 422
        assert (root / MAPPING).read_text() == before
        saved = await admin.put("/api/flows/customers/designer", json=draft)
        assert saved.status_code == 200, saved.text
        after = (root / MAPPING).read_text()
        assert "CompanyName: upper(trim(name))" in after
        changed = [line for line in before.splitlines() if line not in after.splitlines()]
        assert changed == ["  CompanyName: trim(name)"]  # every comment and other line kept
        unknown = await admin.get("/api/flows/nope/designer")
        assert unknown.status_code == 404 and "customers" in unknown.json()["detail"]
