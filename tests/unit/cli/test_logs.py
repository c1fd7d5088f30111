"""Log formats: JSON lines with structured fields for collectors, text for people; secrets in neither."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ferry.cli.logs import JsonFormatter, configure
from ferry.cli.main import app


def test_json_lines_carry_time_level_logger_message_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure(False, "json")
    log = logging.getLogger("ferry.engine")
    log.info(
        "customers: left record %s created",
        "acc-1",
        extra={"sync": "customers", "side": "left", "record_id": "acc-1", "outcome": "created"},
    )
    log.debug("not at the default level")
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["time"].endswith("+00:00") and entry["time"][:2] == "20"
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "info",
        "ferry.engine",
        "customers: left record acc-1 created",
    )
    assert (entry["sync"], entry["side"], entry["record_id"], entry["outcome"]) == (
        "customers",
        "left",
        "acc-1",
        "created",
    )


def test_secrets_reach_neither_format(capsys: pytest.CaptureFixture[str]) -> None:
    for log_format in ("json", "text"):
        configure(False, log_format)  # type: ignore[arg-type]
        log = logging.getLogger("ferry.http")
        log.warning(
            "token refused: client_secret=s3cr3t-value with Authorization: Bearer eyJhbGciOi.abc",
            extra={"connection": "d365", "api_key": "k-123", "detail": "password=hunter2"},
        )
        out = capsys.readouterr().err
        assert "s3cr3t-value" not in out and "eyJhbGciOi" not in out and "hunter2" not in out and "k-123" not in out
        assert "token refused" in out
    record = logging.makeLogRecord({"msg": "x", "connection": "d365", "api_key": "k-123"})
    assert json.loads(JsonFormatter().format(record))["api_key"] == "***"


def test_run_takes_the_log_format_from_the_option_or_the_environment(tmp_path: Path) -> None:
    runner = CliRunner()
    wrong = runner.invoke(app, ["run", str(tmp_path), "--log-format", "yaml"])
    assert wrong.exit_code == 2 and "json" in wrong.output
    runner.invoke(app, ["run", str(tmp_path)], env={"FERRY_LOG_FORMAT": "json"})  # no project here: it stops
    [handler] = logging.getLogger("ferry").handlers
    assert isinstance(handler.formatter, JsonFormatter)
