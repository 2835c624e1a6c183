"""Configuration files, secrets, ${VAR} substitution, environment overrides, masking."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from plait.nodes import (
    ConfigError,
    ModelCatalog,
    ProviderConfig,
    RateLimit,
    Secret,
    load_config,
)

KEY = "sk-ant-from-secrets-SECRET"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_files_merge_with_secrets_winning_and_variables_substituted(tmp_path: Path) -> None:
    write(
        tmp_path / "plait.yaml",
        "default_model: ${MODEL:sonnet}\n"
        "aliases:\n  fast: haiku\n"
        "anthropic:\n  api_key: placeholder\n  base_url: ${PROXY}/anthropic\n  timeout: 30\n"
        "  rate_limit:\n    requests_per_minute: 50\n    concurrent_requests: 2\n"
        "openai:\n  base_url: https://openai.example/v1\n",
    )
    write(tmp_path / "plait.secrets.yaml", f"anthropic:\n  api_key: {KEY}\n")

    config = load_config(tmp_path, {"PROXY": "http://127.0.0.1:9"})

    assert config.default_model == "sonnet"
    assert config.aliases == {"fast": "haiku"}
    anthropic = config.provider("anthropic")
    assert anthropic.api_key == Secret(KEY)
    assert anthropic.base_url == "http://127.0.0.1:9/anthropic"
    assert anthropic.timeout == 30.0
    assert anthropic.rate_limit == RateLimit(requests_per_minute=50, concurrent_requests=2)
    assert config.provider("openai").api_key is None
    assert config.sources == (str(tmp_path / "plait.yaml"), str(tmp_path / "plait.secrets.yaml"))


def test_standard_variables_are_fallbacks_and_plait_overrides_win(tmp_path: Path) -> None:
    write(tmp_path / "plait.yaml", "openai:\n  base_url: https://file.example/v1\n")
    environ = {
        "ANTHROPIC_API_KEY": "env-anthropic",
        "OPENAI_API_KEY": "env-openai",
        "ANTHROPIC_BASE_URL": "http://anthropic.env",
        "OPENAI_BASE_URL": "http://ignored.env/v1",
        "PLAIT_DEFAULT_MODEL": "gpt-4.1",
        "PLAIT_OPENAI__API_KEY": "plait-openai",
        "PLAIT_HOME": "/elsewhere",  # not a setting: left for other tools
    }

    config = load_config(tmp_path, environ)

    assert config.default_model == "gpt-4.1"
    assert config.provider("anthropic").api_key == Secret("env-anthropic")
    assert config.provider("anthropic").base_url == "http://anthropic.env"
    assert config.provider("openai").api_key == Secret("plait-openai")
    assert config.provider("openai").base_url == "https://file.example/v1"


def test_no_files_is_an_empty_configuration(tmp_path: Path) -> None:
    config = load_config(tmp_path, {})

    assert config.default_model is None
    assert config.sources == ()
    assert all(
        config.provider(name) == ProviderConfig() for name in ("anthropic", "openai", "generic")
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path / "plait.yaml",
        "default_modle: sonnet\n"
        "anthropic:\n  api_key: ${MISSING}\n  timeout: soon\n  rate_limit: 5\n",
    )

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})

    problems = caught.value.problems
    assert len(problems) == 1
    assert "`${MISSING}` is not set" in problems[0]
    write(
        tmp_path / "plait.yaml",
        "default_modle: sonnet\nanthropic:\n  timeout: soon\n  rate_limit: 5\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})
    text = str(caught.value)
    assert "unknown key `default_modle` (did you mean `default_model`?)" in text
    assert "$.anthropic.timeout: expected a positive number, got 'soon'" in text
    assert "$.anthropic.rate_limit: expected a mapping" in text
    write(tmp_path / "plait.yaml", "anthropic: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(tmp_path, {})


def test_keys_never_show(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(
        tmp_path / "plait.secrets.yaml",
        f"anthropic:\n  api_key: {KEY}\n  headers:\n    x-token: {KEY}\n",
    )
    config = load_config(tmp_path, {"OPENAI_API_KEY": KEY})
    catalog = ModelCatalog(config)
    client = catalog.client("sonnet")
    logging.getLogger("plait-test").warning(
        "config %s client %r catalog %r", config, client, catalog
    )

    shown = [
        repr(config),
        str(config),
        repr(client),
        f"{config.provider('anthropic').api_key}",
        caplog.text,
    ]
    assert all(KEY not in text for text in shown)
    assert "**********" in repr(config)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(config.provider("anthropic").api_key)
    assert config.provider("anthropic").api_key.reveal() == KEY  # type: ignore[union-attr]
    write(tmp_path / "plait.secrets.yaml", "anthropic:\n  api_key: [1, 2]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})
    assert "api_key: expected a string" in str(caught.value)


def test_cli_settings_store_imports_and_graphs(tmp_path: Path) -> None:
    (tmp_path / "plait.yaml").write_text(
        "store: sqlite:///runs.db\n"
        "imports: [my_pkg.nodes]\n"
        "graphs: {digest: 'examples.digest:graph'}\n"
    )
    config = load_config(tmp_path, {})
    assert config.store == "sqlite:///runs.db"
    assert config.imports == ("my_pkg.nodes",)
    assert dict(config.graphs) == {"digest": "examples.digest:graph"}
    (tmp_path / "plait.yaml").write_text("imports: my_pkg\ngraphs: {x: nocolon}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {})
    assert "$.imports: expected a list of module names" in str(raised.value)
    assert "$.graphs.x: expected `module:attribute`" in str(raised.value)
