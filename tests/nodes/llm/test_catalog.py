"""The catalog turns model strings into clients, with keys, limits and playback files."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait.nodes import (
    AnthropicModel,
    ConfigError,
    Message,
    ModelCatalog,
    ModelRequest,
    OpenAIModel,
    PassthroughModel,
    PlaitConfig,
    PlaybackModel,
    RateLimitedModel,
    Usage,
    load_config,
    save_history,
)

pytestmark = pytest.mark.anyio


def test_model_strings_become_the_right_clients(tmp_path: Path) -> None:
    (tmp_path / "plait.yaml").write_text("openai:\n  rate_limit:\n    requests_per_minute: 60\n")
    catalog = ModelCatalog(load_config(tmp_path, {"ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": "o"}))

    claude = catalog.client("sonnet")
    responses = catalog.client("gpt-5.5")
    chat = catalog.client("openai.gpt-4.1?api=chat")
    local = catalog.client("generic.llama3.2:latest")

    assert isinstance(claude, AnthropicModel)
    assert claude.base_url == "https://api.anthropic.com"
    assert isinstance(responses, RateLimitedModel)
    assert isinstance(responses.client, OpenAIModel)
    assert responses.client.api == "responses"
    assert isinstance(chat, RateLimitedModel)
    assert isinstance(chat.client, OpenAIModel)
    assert chat.client.api == "chat"
    assert chat.limiter is responses.limiter  # one limiter per provider key
    assert isinstance(local, OpenAIModel)
    assert local.api == "chat"
    assert local.base_url == "http://localhost:11434/v1"
    assert isinstance(catalog.client("passthrough"), PassthroughModel)


def test_missing_keys_and_models_say_how_to_fix_them() -> None:
    catalog = ModelCatalog()

    with pytest.raises(ConfigError, match=r"no API key for `anthropic`.*ANTHROPIC_API_KEY"):
        catalog.client("sonnet")
    with pytest.raises(ConfigError, match="no model given and no default"):
        catalog.client()
    assert ModelCatalog(PlaitConfig(default_model="passthrough")).client().name == "passthrough"


async def test_playback_history_files_resolve_from_the_config_directory(tmp_path: Path) -> None:
    save_history(tmp_path / "play.yaml", [Message.user("q"), Message.assistant("a")])
    catalog = ModelCatalog(PlaitConfig(base_dir=tmp_path))

    first = catalog.client("playback?history=play.yaml")
    second = catalog.client("playback?history=play.yaml")

    assert isinstance(first, PlaybackModel)
    assert first is not second
    request = ModelRequest(messages=(Message.user("x"),))
    assert (await first.complete(request)).message.text == "a"
    assert (await second.complete(request)).message.text == "a"  # a fresh position each time
    with pytest.raises(ConfigError, match="cannot be read"):
        catalog.client("playback?history=missing.yaml")


def test_cost_from_known_prices_only() -> None:
    catalog = ModelCatalog()
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)

    assert catalog.cost("openai.gpt-4.1", usage) == pytest.approx(2.0 + 0.8)
    assert catalog.cost("anthropic.claude-sonnet-5", usage) is None
    assert catalog.cost("playback", usage) == 0.0
