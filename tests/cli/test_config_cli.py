"""``plait config``: every resolved value with its source, and no secret ever printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import plait.cli

FILE_KEY = "sk-fake-from-secrets-file-3141"
ENV_KEY = "sk-ant-fake-from-environment-2718"
OVERRIDE_KEY = "sk-fake-plait-override-1618"
HEADER = "org-fake-header-value-1414"
TOKEN = "tok-fake-proxy-token-1732"
DB_PASSWORD = "fake-db-password-1123"
SECRETS = (FILE_KEY, ENV_KEY, OVERRIDE_KEY, HEADER, TOKEN, DB_PASSWORD)

PLAIT_YAML = """\
default_model: sonnet
aliases:
  writer: anthropic.claude-haiku-4-5
imports: [examples.digest]
graphs:
  hello: hello:graph
anthropic:
  base_url: ${MY_BASE_URL}
  timeout: 30
generic:
  base_url: http://proxy.local/${PROXY_TOKEN}/v1
"""

SECRETS_YAML = f"""\
openai:
  api_key: {FILE_KEY}
  headers:
    X-Org: {HEADER}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with plait.yaml and plait.secrets.yaml, and a clean environment."""
    for name in list(os.environ):
        if name.startswith("PLAIT_") or name.endswith(("_API_KEY", "_BASE_URL", "_TOKEN")):
            monkeypatch.delenv(name)
    (tmp_path / "plait.yaml").write_text(PLAIT_YAML, encoding="utf-8")
    (tmp_path / "plait.secrets.yaml").write_text(SECRETS_YAML, encoding="utf-8")
    monkeypatch.setenv("MY_BASE_URL", "http://localhost:9000")
    monkeypatch.setenv("PROXY_TOKEN", TOKEN)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_json(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    code = plait.cli.main(["config", "--json"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    settings: dict[str, dict[str, object]] = json.loads(captured.out)["settings"]
    return settings


def config_text(capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[str, str]]:
    """``key -> (value, source)`` from the text table."""
    code = plait.cli.main(["config"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    header, *rows = captured.out.splitlines()
    assert header.startswith("files read: ")
    found: dict[str, tuple[str, str]] = {}
    for row in rows:
        key, value, source = (part for part in row.split("  ") if part)
        found[key] = (value.strip(), source.strip())
    return found


@pytest.mark.usefixtures("project")
def test_each_value_names_the_file_it_came_from(capsys: pytest.CaptureFixture[str]) -> None:
    rows = config_text(capsys)

    assert rows["default_model"] == ("sonnet", "plait.yaml")
    assert rows["aliases.writer"] == ("anthropic.claude-haiku-4-5", "plait.yaml")
    assert rows["imports"] == ("examples.digest", "plait.yaml")
    assert rows["graphs.hello"] == ("hello:graph", "plait.yaml")
    assert rows["anthropic.timeout"] == ("30.0", "plait.yaml")
    assert rows["openai.api_key"] == ("**********", "plait.secrets.yaml")
    assert rows["openai.headers.X-Org"] == ("**********", "plait.secrets.yaml")


@pytest.mark.usefixtures("project")
def test_substituted_and_standard_variables_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    rows = config_text(capsys)

    assert rows["anthropic.base_url"] == ("http://localhost:9000", "plait.yaml (${MY_BASE_URL})")
    assert rows["anthropic.api_key"] == ("**********", "environment variable ANTHROPIC_API_KEY")
    # a value built from a *_TOKEN variable is masked whole
    assert rows["generic.base_url"] == ("**********", "plait.yaml (${PROXY_TOKEN})")


@pytest.mark.usefixtures("project")
def test_defaults_are_marked_as_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    rows = config_text(capsys)

    assert rows["store"] == ("sqlite:///.plait/runs.db", "default")
    assert rows["aliases.haiku"] == ("anthropic.claude-haiku-4-5", "default")


@pytest.mark.usefixtures("project")
def test_plait_variables_override_both_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAIT_DEFAULT_MODEL", "haiku")
    monkeypatch.setenv("PLAIT_OPENAI__API_KEY", OVERRIDE_KEY)
    monkeypatch.setenv("PLAIT_STORE", f"postgresql://plait:{DB_PASSWORD}@db.local/runs")

    settings = config_json(capsys)

    assert settings["default_model"] == {
        "value": "haiku",
        "source": {"kind": "environment", "name": "PLAIT_DEFAULT_MODEL"},
        "secret": False,
    }
    assert settings["openai.api_key"] == {
        "value": "**********",
        "source": {"kind": "environment", "name": "PLAIT_OPENAI__API_KEY"},
        "secret": True,
    }
    # only the URL's password is hidden
    assert settings["store"]["value"] == "postgresql://plait:**********@db.local/runs"


@pytest.mark.usefixtures("project")
def test_json_names_each_kind_of_source(capsys: pytest.CaptureFixture[str]) -> None:
    settings = config_json(capsys)

    assert settings["default_model"]["source"] == {"kind": "file", "name": "plait.yaml"}
    assert settings["openai.api_key"]["source"] == {
        "kind": "secrets",
        "name": "plait.secrets.yaml",
    }
    assert settings["anthropic.base_url"]["source"] == {
        "kind": "file",
        "name": "plait.yaml",
        "via": "MY_BASE_URL",
    }
    assert settings["anthropic.api_key"]["source"] == {
        "kind": "environment",
        "name": "ANTHROPIC_API_KEY",
    }
    assert settings["store"] == {
        "value": "sqlite:///.plait/runs.db",
        "source": {"kind": "default"},
        "secret": False,
    }


@pytest.mark.parametrize("argv", [["config"], ["config", "--json"]], ids=["text", "json"])
@pytest.mark.usefixtures("project")
def test_no_secret_is_ever_printed(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAIT_OPENAI__API_KEY", OVERRIDE_KEY)
    monkeypatch.setenv("PLAIT_STORE", f"postgresql://plait:{DB_PASSWORD}@db.local/runs")

    code = plait.cli.main(argv)
    captured = capsys.readouterr()

    assert code == 0
    printed = captured.out + captured.err
    assert [secret for secret in SECRETS if secret in printed] == []
    assert "**********" in printed


def test_a_value_from_the_secrets_file_is_masked_whatever_its_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "plait.secrets.yaml").write_text(f"store: sqlite:///{TOKEN}.db\n", "utf-8")

    settings = config_json(capsys)

    assert settings["store"] == {
        "value": "**********",
        "source": {"kind": "secrets", "name": "plait.secrets.yaml"},
        "secret": True,
    }


def test_with_no_files_everything_is_a_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("PLAIT_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    code = plait.cli.main(["config"])
    out = capsys.readouterr().out

    assert code == 0
    assert out.splitlines()[0] == "files read: none (no plait.yaml here)"
    assert "anthropic.api_key" in out
    assert "(not set)" in out
    assert {line.rsplit("  ", 1)[-1].strip() for line in out.splitlines()[1:]} == {"default"}


def test_an_invalid_config_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "plait.yaml").write_text("default_modle: sonnet\n", encoding="utf-8")

    code = plait.cli.main(["config"])
    captured = capsys.readouterr()

    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("plait: error: plait.yaml: ")
    assert "default_model" in captured.err
    assert FILE_KEY not in captured.err
