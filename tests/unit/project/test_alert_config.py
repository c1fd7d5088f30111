"""`alerts:` in ferry.yaml: rules and channels validated, names checked, secrets from the vault."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from ferry.alerts import channels, project_alerts
from ferry.alerts.channels import EmailSender, WebhookSender
from ferry.project import validate
from ferry.project.alerts import Alerts, AuthFailureRule, DeadLetterRule, ErrorRateRule
from ferry.vault import Vault
from tests.unit.project.conftest import VALID, line_of, only

Make = Callable[[str], Path]
ENV = {"TIMS_KEY": "k"}
yaml = YAML(typ="safe")
ALERTS = """
alerts:
  every: 10s
  channels:
    ops:
      type: webhook
      format: slack
      url: ${secret:slack-webhook}
    mail:
      type: email
      host: smtp.example.com
      user: ferry
      password: ${secret:smtp-password}
      from: ferry@example.com
      to: [ops@example.com]
  rules:
    - name: failing
      kind: error_rate
      sync: customers
      threshold: 0.1
      window: 15m
      channels: [ops]
      repeat: 1h
    - name: auth
      kind: auth_failure
      connection: tims
"""


def stored(root: Path, **secrets: str) -> None:
    vault = Vault.open(root, {}, create_key=True)
    for name, value in secrets.items():
        vault.set(name, value)


def test_rules_and_channels_load_with_durations_in_seconds(make_project: Make) -> None:
    root = make_project(VALID + ALERTS)
    stored(root, **{"d365-secret": "s", "slack-webhook": "https://hooks.example/T/B/x", "smtp-password": "pw"})
    report = validate(root, ENV)
    assert report.problems == [] and report.project is not None
    alerts = project_alerts(report.project)
    assert alerts.every == 10
    failing, auth = alerts.rules
    assert isinstance(failing, ErrorRateRule) and (failing.window, failing.repeat) == (900, 3600)
    assert isinstance(auth, AuthFailureRule) and auth.severity == "critical"
    senders = channels(report.project)
    webhook, mail = senders["ops"], senders["mail"]
    assert isinstance(webhook, WebhookSender) and webhook.url.get_secret_value() == "https://hooks.example/T/B/x"
    assert isinstance(mail, EmailSender) and mail.password is not None
    assert (mail.spec.port, mail.spec.security, mail.spec.sender) == (587, "starttls", "ferry@example.com")


def test_a_project_without_alerts_gets_dead_letters_and_auth_in_the_console(make_project: Make) -> None:
    root = make_project(VALID)
    stored(root, **{"d365-secret": "s"})
    report = validate(root, ENV)
    assert report.project is not None
    alerts = project_alerts(report.project)
    assert {n: c.type for n, c in alerts.channels.items()} == {"console": "console"}
    assert [type(r) for r in alerts.rules] == [DeadLetterRule, AuthFailureRule]


def test_rules_must_name_what_the_project_has(make_project: Make) -> None:
    text = VALID + ALERTS.replace("sync: customers", "sync: cusotmers").replace("channels: [ops]", "channels: [opz]")
    root = make_project(text)
    stored(root, **{"d365-secret": "s", "slack-webhook": "u", "smtp-password": "pw"})
    problems = validate(root, ENV).problems
    sync = only(problems, "names the sync 'cusotmers'")
    assert sync.line == line_of(text, "sync: cusotmers") and sync.hint == "syncs: customers"
    channel = only(problems, "no alert channel 'opz'")
    assert channel.hint == "channels: mail, ops"


def test_a_webhook_url_written_out_is_refused(make_project: Make) -> None:
    text = VALID + ALERTS.replace("url: ${secret:slack-webhook}", "url: https://hooks.slack.com/services/T/B/x")
    root = make_project(text)
    stored(root, **{"d365-secret": "s", "smtp-password": "pw"})
    problem = only(validate(root, ENV).problems, "alerts.channels.ops")
    assert problem.line == line_of(text, "url: https://hooks")
    assert "hooks.slack.com" not in problem.message


def test_a_channel_secret_missing_from_the_vault_is_reported(make_project: Make) -> None:
    root = make_project(VALID + ALERTS)
    stored(root, **{"d365-secret": "s", "smtp-password": "pw"})
    problem = only(validate(root, ENV).problems, "slack-webhook")
    assert "not in the project's vault" in problem.message
    assert problem.hint is not None and "ferry secrets set" in problem.hint


def test_wrong_durations_and_kinds_say_what_is_expected(make_project: Make) -> None:
    text = VALID + ALERTS.replace("window: 15m", "window: 15 minutes").replace("kind: auth_failure", "kind: auth")
    root = make_project(text)
    stored(root, **{"d365-secret": "s", "slack-webhook": "u", "smtp-password": "pw"})
    problems = validate(root, ENV).problems
    assert "write seconds (30) or 30s, 5m, 2h, 7d" in only(problems, "15 minutes").message
    kind = only(problems, "auth_failure")
    assert kind.line == line_of(text, "- name: auth")  # the rule whose kind is unknown


def test_the_example_in_the_alerts_page_is_valid() -> None:
    page = (Path(__file__).parents[3] / "docs" / "alerts.md").read_text(encoding="utf-8")
    block = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    raw = yaml.load(block)["alerts"]
    alerts = Alerts.model_validate(raw)
    assert [r.kind for r in alerts.rules] == ["error_rate", "lag", "dlq_size", "auth_failure", "held_runs", "anomaly"]
    assert set(alerts.channels) == {"ops-slack", "ops-mail", "console"}
