from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ferry.project import validate
from ferry.vault import Vault
from tests.unit.project.conftest import VALID, line_of, only

Make = Callable[[str], Path]
ENV = {"TIMS_KEY": "k"}


def stored(root: Path, **secrets: str) -> None:
    vault = Vault.open(root, {}, create_key=True)
    for name, value in secrets.items():
        vault.set(name, value)


def test_a_valid_project_has_no_problems(make_project: Make) -> None:
    root = make_project(VALID)
    stored(root, **{"d365-secret": "s"})
    report = validate(root, ENV)
    assert report.problems == []
    assert report.project is not None
    assert [s.name for s in report.project.syncs] == ["customers"]
    assert len(report.mappings) == 2


def test_missing_project_file_suggests_init(tmp_path: Path) -> None:
    report = validate(tmp_path, {})
    assert report.project is None
    (problem,) = report.problems
    assert "no ferry.yaml" in problem.message
    assert problem.hint is not None and "ferry init" in problem.hint


def test_unknown_key_points_at_its_line_and_lists_allowed_keys(make_project: Make) -> None:
    text = VALID.replace("    link: {right: ExternalID}\n", "    link: {right: ExternalID}\n    tigger: {}\n")
    report = validate(make_project(text), ENV)
    problem = only(report.problems, "unknown key 'tigger'")
    assert (problem.file, problem.line) == (str(Path(report.root) / "ferry.yaml"), line_of(text, "tigger"))
    assert problem.hint is not None and "trigger" in problem.hint


def test_wrong_value_type_points_at_the_value(make_project: Make) -> None:
    text = VALID.replace("    map:\n", "    direction: sideways\n    map:\n")
    problem = only(validate(make_project(text), ENV).problems, "direction")
    assert problem.line == line_of(text, "sideways")
    assert "left_to_right" in problem.message


def test_undefined_connection_names_the_defined_ones(make_project: Make) -> None:
    text = VALID.replace("right: {connection: tims,", "right: {connection: timz,")
    problem = only(validate(make_project(text), ENV).problems, "connection 'timz' is not defined")
    assert problem.line == line_of(text, "timz")
    assert problem.hint == "defined connections: d365, tims"


def test_unknown_connector_type_names_the_installed_types(make_project: Make) -> None:
    text = VALID.replace("type: tims", "type: timms")
    problem = only(validate(make_project(text), ENV).problems, "unknown connection type 'timms'")
    assert problem.line == line_of(text, "type: timms")
    assert problem.hint is not None and "dynamics365" in problem.hint and "tims" in problem.hint


def test_missing_mapping_file_points_at_its_path(make_project: Make) -> None:
    root = make_project(VALID)
    (root / "mappings" / "r2l.yaml").unlink()
    problem = only(validate(root, ENV).problems, "mapping file not found")
    assert "mappings/r2l.yaml" in problem.message
    assert problem.line == line_of(VALID, "right_to_left:")


def test_find_by_names_only_fields_the_mappings_write(make_project: Make) -> None:
    link = "    link: {right: ExternalID}\n"
    text = VALID.replace(link, link + "    find_by: [Email, Phone]\n")
    root = make_project(text)
    (root / "mappings" / "l2r.yaml").write_text("fields:\n  Email: emailaddress1\n  Phone: telephone1\n")
    (root / "mappings" / "r2l.yaml").write_text("fields:\n  emailaddress1: Email\n  Email: Email\n")
    problem = only(validate(root, ENV).problems, "find_by names")
    assert problem.message == "find_by names 'Phone', which map.right_to_left (mappings/r2l.yaml) does not write"
    assert problem.line == line_of(text, "find_by:")


def test_mapping_needed_by_the_direction_is_required(make_project: Make) -> None:
    text = VALID.replace("      right_to_left: mappings/r2l.yaml\n", "")
    problem = only(validate(make_project(text), ENV).problems, "needs map.right_to_left")
    assert problem.line == line_of(text, "    map:")


def test_one_way_sync_needs_only_its_mapping(make_project: Make) -> None:
    text = VALID.replace("      right_to_left: mappings/r2l.yaml\n", "").replace(
        "    map:\n", "    direction: left_to_right\n    map:\n"
    )
    root = make_project(text)
    stored(root, **{"d365-secret": "s"})
    assert validate(root, ENV).problems == []


def test_invalid_yaml_in_a_mapping_file_is_reported_in_that_file(make_project: Make) -> None:
    root = make_project(VALID)
    (root / "mappings" / "l2r.yaml").write_text("fields:\n  a: [1,\n")
    problem = only(validate(root, ENV).problems, "invalid YAML")
    assert problem.file == str(root / "mappings" / "l2r.yaml")
    assert problem.line == 3


def test_duplicate_sync_names_point_at_the_second(make_project: Make) -> None:
    second = VALID[VALID.index("  - name: customers") :]
    text = VALID + second
    problem = only(validate(make_project(text), ENV).problems, "two syncs are named 'customers'")
    assert problem.line == line_of(text, "- name: customers", occurrence=2)


def test_link_on_a_side_the_sync_never_writes(make_project: Make) -> None:
    text = VALID.replace("      left_to_right: mappings/l2r.yaml\n", "").replace(
        "    map:\n", "    direction: right_to_left\n    map:\n"
    )
    problem = only(validate(make_project(text), ENV).problems, "link.right")
    assert problem.line == line_of(text, "link: {right")
    assert problem.hint is not None and "link.left" in problem.hint


def test_match_naming_sides_by_connection_says_left_and_right(make_project: Make) -> None:
    text = VALID + "    match:\n      - {d365: accountnumber, tims: CustomerCode}\n"
    problems = validate(make_project(text), ENV).problems
    problem = only(problems, "unknown key 'd365'")
    assert problem.line == line_of(text, "{d365: accountnumber")
    assert problem.hint is not None and "`left` and `right`" in problem.hint and "left is d365" in problem.hint
    missing = only(problems, "missing the required key 'left'")
    assert missing.line == line_of(text, "{d365: accountnumber")


def test_system_of_record_needs_a_winner_side(make_project: Make) -> None:
    text = VALID + "    conflicts: {policy: system_of_record, winner: d365}\n"
    problem = only(validate(make_project(text), ENV).problems, "winner")
    assert problem.line == line_of(text, "winner: d365")
    assert "'left'" in problem.message


def test_a_literal_secret_is_refused_without_repeating_it(make_project: Make) -> None:
    text = VALID.replace("${secret:d365-secret}", "Sup3r-s3cret-value")
    problem = only(validate(make_project(text), ENV).problems, "secret written out")
    assert problem.line == line_of(text, "client_secret:")
    assert problem.hint is not None
    assert "ferry secrets set" in problem.hint and "${secret:d365-client-secret}" in problem.hint
    assert "Sup3r" not in str(problem)


def test_undefined_secret_is_reported_when_the_vault_is_readable(make_project: Make) -> None:
    root = make_project(VALID)
    stored(root, other="x")
    problem = only(validate(root, ENV).problems, "the secret 'd365-secret' is not in the project's vault")
    assert problem.line == line_of(VALID, "client_secret:")
    assert problem.hint is not None and "ferry secrets set" in problem.hint


def test_undefined_secret_is_reported_when_there_is_no_vault_at_all(make_project: Make) -> None:
    only(validate(make_project(VALID), ENV).problems, "'d365-secret' is not in the project's vault")


def test_secrets_are_not_checked_without_the_vault_key(make_project: Make) -> None:
    root = make_project(VALID)
    stored(root, other="x")
    (root / ".ferry" / "secret.key").unlink()
    report = validate(root, ENV)
    assert report.problems == []
    assert any("no key" in note for note in report.notes)


def test_malformed_reference_is_reported(make_project: Make) -> None:
    text = VALID.replace("${env:TIMS_KEY}", "${vault:TIMS_KEY}")
    problem = only(validate(make_project(text), ENV).problems, "unknown reference")
    assert problem.line == line_of(text, "api_key:")


def test_reference_in_a_number_field_is_reported(make_project: Make) -> None:
    text = VALID.replace("    api_key: ${env:TIMS_KEY}\n", "    api_key: ${env:TIMS_KEY}\n    page_size: ${env:SIZE}\n")
    problem = only(validate(make_project(text), ENV).problems, "text value")
    assert problem.line == line_of(text, "page_size")


def test_missing_required_connection_field_uses_its_description_as_hint(make_project: Make) -> None:
    text = VALID.replace("    tenant: ferrysandbox.onmicrosoft.com\n", "")
    problem = only(validate(make_project(text), ENV).problems, "missing the required key 'tenant'")
    assert problem.line == line_of(text, "  d365:")
    assert problem.hint is not None and "Entra ID tenant" in problem.hint


def test_connector_rules_across_fields_point_at_the_connection(make_project: Make) -> None:
    text = VALID.replace("    api_key: ${env:TIMS_KEY}\n", "")
    problem = only(validate(make_project(text), ENV).problems, "set api_key")
    assert problem.line == line_of(text, "  tims:")


def test_unset_environment_variable_is_a_note_not_a_problem(make_project: Make) -> None:
    root = make_project(VALID)
    stored(root, **{"d365-secret": "s"})
    report = validate(root, {})
    assert report.problems == []
    assert any("TIMS_KEY" in note for note in report.notes)


def test_every_problem_is_reported_at_once_in_line_order(make_project: Make) -> None:
    text = (
        VALID.replace("name: test", "name: test\ncolour: blue")
        .replace("type: tims", "type: nosuch")
        .replace("right: {connection: tims,", "right: {connection: nowhere,")
    )
    problems = validate(make_project(text), ENV).problems
    messages = " | ".join(p.message for p in problems)
    for expected in ("unknown key 'colour'", "unknown connection type 'nosuch'", "'nowhere' is not defined"):
        assert expected in messages
    lines = [p.line or 0 for p in problems]
    assert lines == sorted(lines)
