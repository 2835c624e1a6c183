"""Model strings: provider.model, provider:model, aliases, options; helpful errors."""

from __future__ import annotations

import pytest

from plait.nodes import ConfigError, ModelSpec, parse_model


@pytest.mark.parametrize(
    ("text", "provider", "model", "options"),
    [
        ("sonnet", "anthropic", "claude-sonnet-5", {}),
        ("haiku", "anthropic", "claude-haiku-4-5", {}),
        ("opus", "anthropic", "claude-opus-5", {}),
        ("gpt-4.1", "openai", "gpt-4.1", {}),
        ("gpt-5.5", "openai", "gpt-5.5", {"reasoning": "medium"}),
        ("anthropic.claude-sonnet-5", "anthropic", "claude-sonnet-5", {}),
        ("anthropic:claude-sonnet-5", "anthropic", "claude-sonnet-5", {}),
        ("openai.gpt-4.1?reasoning=high", "openai", "gpt-4.1", {"reasoning": "high"}),
        ("openai:o3?api=chat&max_tokens=100", "openai", "o3", {"api": "chat", "max_tokens": "100"}),
        ("generic.llama3.2:latest", "generic", "llama3.2:latest", {}),
        ("claude-haiku-4-5", "anthropic", "claude-haiku-4-5", {}),
        ("gpt-5-mini?reasoning=off", "openai", "gpt-5-mini", {"reasoning": "none"}),
        ("passthrough", "passthrough", "passthrough", {}),
        ("playback?history=fixture.yaml", "playback", "playback", {"history": "fixture.yaml"}),
    ],
)
def test_model_strings_parse(text: str, provider: str, model: str, options: dict[str, str]) -> None:
    spec = parse_model(text)

    assert (spec.provider, spec.model, dict(spec.options)) == (provider, model, options)


def test_explicit_options_win_over_an_alias_s_own() -> None:
    spec = parse_model("gpt-5.5?reasoning=low")

    assert spec.option("reasoning") == "low"
    assert str(spec) == "openai.gpt-5.5?reasoning=low"
    assert str(parse_model("passthrough")) == "passthrough"


def test_configured_aliases_may_chain_and_override() -> None:
    aliases = {"fast": "haiku?max_tokens=200", "sonnet": "anthropic.claude-sonnet-4-5"}

    assert parse_model("fast", aliases) == ModelSpec(
        "anthropic", "claude-haiku-4-5", (("max_tokens", "200"),)
    )
    assert parse_model("sonnet", aliases).model == "claude-sonnet-4-5"
    with pytest.raises(ConfigError, match="cycle"):
        parse_model("a", {"a": "b", "b": "a"})


def test_an_unknown_model_lists_close_matches() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_model("sonet")

    message = str(caught.value)
    assert message.startswith("unknown model `sonet`: did you mean `sonnet`")
    assert "provider.model" in message


def test_unknown_and_invalid_options_are_all_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_model("sonnet?reasonin=high&max_tokens=lots&reasoning=extreme")

    problems = caught.value.problems
    assert len(problems) == 3
    assert "unknown option `reasonin` (did you mean `reasoning`?)" in problems[0]
    assert "max_tokens=lots` must be a positive whole number" in problems[1]
    assert "reasoning=extreme` is not an effort" in problems[2]


def test_a_provider_without_a_model() -> None:
    with pytest.raises(ConfigError, match="names provider `openai` but no model"):
        parse_model("openai.")
