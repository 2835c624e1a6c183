"""A graph whose records would hold secrets if nothing masked them (``tests/test_secret_sinks``).

``credentials`` reads a header value from ``plait.yaml`` (``${MY_SERVICE_TOKEN}``) and
hands it on as an input; the agent's tool answers with the OpenAI key in its output; the
Anthropic fake server may answer with an error body that echoes the request's key.
"""

from __future__ import annotations

import os

from plait import GraphBuilder, node
from plait.nodes import agent, load_config, tool


@node
def credentials(account: str) -> str:
    """The service token configured for ``account`` (a node input fed from config)."""
    headers = load_config(".", os.environ).provider("anthropic").headers
    return f"{account} uses {headers['x-service-token'].reveal()}"


@tool
def account_status(account: str) -> str:
    """The status of an account.

    Args:
        account: The account name.
    """
    return f"{account} is active; billing key {os.environ['OPENAI_API_KEY']}"


ask = agent(
    "ask",
    model="anthropic.claude-sonnet-5",
    instructions="Check the account.",
    inputs={"credentials": str},
    tools=[account_status],
)

_builder = GraphBuilder("secret_sinks", inputs={"account": str})
_found = _builder.add(credentials, inputs={"account": "inputs.account"})
graph = _builder.build(_builder.add(ask, inputs={"credentials": _found}))
