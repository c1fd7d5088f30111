from typing import Any

from ferry.mapping.suggest.candidates import candidates


def test_candidates_are_the_fields_read_and_seen_with_their_values_as_samples() -> None:
    records: list[dict[str, Any]] = [
        {"name": "Acme", "primarycontactid": {"firstname": "Ann"}, "@odata.etag": "x", "lines": [{"a": 1}]},
        {"name": "Bolt", "primarycontactid": None},
    ]
    fields = {f.name: f.samples for f in candidates(["creditlimit", "name"], records)}
    assert fields == {
        "creditlimit": (),
        "name": ("Acme", "Bolt"),
        "primarycontactid": (None,),
        "primarycontactid.firstname": ("Ann",),
    }
