"""What a unit of work is: node kinds, the run context, retry policy, types and errors;
LLM agents, model clients (providers and offline models), tools and configuration.

The LLM side loads on first use (``plait.nodes.AgentNode`` imports it), so that
``import plait`` stays fast for graphs without agents.
"""

import importlib as _importlib
import typing as _typing

from plait.nodes._context import NodeId, RunContext, RunId
from plait.nodes._errors import (
    AgentError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ContextTooLongError,
    DefinitionError,
    GraphDefinitionError,
    InputError,
    NodeFailedError,
    NodeOutputError,
    NodeTimeoutError,
    NondeterminismError,
    OutputValidationError,
    OverloadedError,
    PlaitError,
    Problem,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitedError,
    RunCancelledError,
    RunError,
    RunTimeoutError,
    StreamInterruptedError,
    ToolLoopLimitError,
    TransientProviderError,
)
from plait.nodes._fields import field_getter, field_types
from plait.nodes._function import FunctionNode, Input, Node, node, to_node
from plait.nodes._policy import NO_RETRY, RetryPolicy
from plait.nodes._type_names import close_matches, type_name
from plait.nodes._types import is_assignable
from plait.nodes._values import check_value, fit_value, from_jsonable, to_jsonable
from plait.nodes.llm._yaml import dump_yaml, load_yaml

if _typing.TYPE_CHECKING:
    from plait.nodes.agents._factory import agent
    from plait.nodes.agents._journal import Journal, JournalEntry, MemoryJournal
    from plait.nodes.agents._node import AGENT_RETRY, AgentNode, AgentResult, NodeBoundModel
    from plait.nodes.agents._tools import Tool, ToolRegistry, tool
    from plait.nodes.llm._catalog import PRICING, ModelCatalog, Pricing
    from plait.nodes.llm._codec import (
        differences,
        request_data,
        response_data,
        response_from_data,
        tool_result_data,
        tool_result_from_data,
    )
    from plait.nodes.llm._config import (
        CONFIG_FILE,
        SECRETS_FILE,
        PlaitConfig,
        ProviderConfig,
        RateLimit,
        load_config,
    )
    from plait.nodes.llm._history import load_history, save_history
    from plait.nodes.llm._limits import RateLimitedModel, RateLimiter
    from plait.nodes.llm._messages import (
        Image,
        Message,
        Part,
        Role,
        StopReason,
        Text,
        Thinking,
        ToolCall,
        ToolResult,
        Usage,
    )
    from plait.nodes.llm._model import (
        Delta,
        DeltaHandler,
        ModelClient,
        ModelRequest,
        ModelResponse,
        OutputSchema,
        TextDelta,
        ThinkingDelta,
        ToolCallDelta,
        ToolChoice,
        ToolSpec,
    )
    from plait.nodes.llm._model_string import ALIASES, PROVIDERS, ModelSpec, parse_model
    from plait.nodes.llm._offline import (
        CALL_TOOL_INDICATOR,
        FIXED_RESPONSE_INDICATOR,
        PassthroughModel,
        PlaybackModel,
    )
    from plait.nodes.llm._scripted import ScriptedModel, ScriptedReply
    from plait.nodes.llm._secret import Secret
    from plait.nodes.llm.providers._anthropic import AnthropicModel
    from plait.nodes.llm.providers._openai import OpenAIModel
    from plait.nodes.memory._conversation import ConversationMemory

_LAZY: dict[str, str] = {
    "AGENT_RETRY": "plait.nodes.agents._node",
    "ALIASES": "plait.nodes.llm._model_string",
    "AgentNode": "plait.nodes.agents._node",
    "AgentResult": "plait.nodes.agents._node",
    "AnthropicModel": "plait.nodes.llm.providers._anthropic",
    "CALL_TOOL_INDICATOR": "plait.nodes.llm._offline",
    "CONFIG_FILE": "plait.nodes.llm._config",
    "ConversationMemory": "plait.nodes.memory._conversation",
    "Delta": "plait.nodes.llm._model",
    "DeltaHandler": "plait.nodes.llm._model",
    "FIXED_RESPONSE_INDICATOR": "plait.nodes.llm._offline",
    "Image": "plait.nodes.llm._messages",
    "Journal": "plait.nodes.agents._journal",
    "JournalEntry": "plait.nodes.agents._journal",
    "MemoryJournal": "plait.nodes.agents._journal",
    "Message": "plait.nodes.llm._messages",
    "ModelCatalog": "plait.nodes.llm._catalog",
    "ModelClient": "plait.nodes.llm._model",
    "ModelRequest": "plait.nodes.llm._model",
    "ModelResponse": "plait.nodes.llm._model",
    "ModelSpec": "plait.nodes.llm._model_string",
    "NodeBoundModel": "plait.nodes.agents._node",
    "OpenAIModel": "plait.nodes.llm.providers._openai",
    "OutputSchema": "plait.nodes.llm._model",
    "PRICING": "plait.nodes.llm._catalog",
    "PROVIDERS": "plait.nodes.llm._model_string",
    "Part": "plait.nodes.llm._messages",
    "PassthroughModel": "plait.nodes.llm._offline",
    "PlaitConfig": "plait.nodes.llm._config",
    "PlaybackModel": "plait.nodes.llm._offline",
    "Pricing": "plait.nodes.llm._catalog",
    "ProviderConfig": "plait.nodes.llm._config",
    "RateLimit": "plait.nodes.llm._config",
    "RateLimitedModel": "plait.nodes.llm._limits",
    "RateLimiter": "plait.nodes.llm._limits",
    "Role": "plait.nodes.llm._messages",
    "SECRETS_FILE": "plait.nodes.llm._config",
    "ScriptedModel": "plait.nodes.llm._scripted",
    "ScriptedReply": "plait.nodes.llm._scripted",
    "Secret": "plait.nodes.llm._secret",
    "StopReason": "plait.nodes.llm._messages",
    "Text": "plait.nodes.llm._messages",
    "TextDelta": "plait.nodes.llm._model",
    "Thinking": "plait.nodes.llm._messages",
    "ThinkingDelta": "plait.nodes.llm._model",
    "Tool": "plait.nodes.agents._tools",
    "ToolCall": "plait.nodes.llm._messages",
    "ToolCallDelta": "plait.nodes.llm._model",
    "ToolChoice": "plait.nodes.llm._model",
    "ToolRegistry": "plait.nodes.agents._tools",
    "ToolResult": "plait.nodes.llm._messages",
    "ToolSpec": "plait.nodes.llm._model",
    "Usage": "plait.nodes.llm._messages",
    "agent": "plait.nodes.agents._factory",
    "differences": "plait.nodes.llm._codec",
    "load_config": "plait.nodes.llm._config",
    "load_history": "plait.nodes.llm._history",
    "parse_model": "plait.nodes.llm._model_string",
    "request_data": "plait.nodes.llm._codec",
    "response_data": "plait.nodes.llm._codec",
    "response_from_data": "plait.nodes.llm._codec",
    "save_history": "plait.nodes.llm._history",
    "tool": "plait.nodes.agents._tools",
    "tool_result_data": "plait.nodes.llm._codec",
    "tool_result_from_data": "plait.nodes.llm._codec",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'plait.nodes' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AGENT_RETRY",
    "ALIASES",
    "CALL_TOOL_INDICATOR",
    "CONFIG_FILE",
    "FIXED_RESPONSE_INDICATOR",
    "NO_RETRY",
    "PRICING",
    "PROVIDERS",
    "SECRETS_FILE",
    "AgentError",
    "AgentNode",
    "AgentResult",
    "AnthropicModel",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContextTooLongError",
    "ConversationMemory",
    "DefinitionError",
    "Delta",
    "DeltaHandler",
    "FunctionNode",
    "GraphDefinitionError",
    "Image",
    "Input",
    "InputError",
    "Journal",
    "JournalEntry",
    "MemoryJournal",
    "Message",
    "ModelCatalog",
    "ModelClient",
    "ModelRequest",
    "ModelResponse",
    "ModelSpec",
    "Node",
    "NodeBoundModel",
    "NodeFailedError",
    "NodeId",
    "NodeOutputError",
    "NodeTimeoutError",
    "NondeterminismError",
    "OpenAIModel",
    "OutputSchema",
    "OutputValidationError",
    "OverloadedError",
    "Part",
    "PassthroughModel",
    "PlaitConfig",
    "PlaitError",
    "PlaybackModel",
    "Pricing",
    "Problem",
    "ProviderConfig",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderServerError",
    "ProviderTimeoutError",
    "RateLimit",
    "RateLimitedError",
    "RateLimitedModel",
    "RateLimiter",
    "RetryPolicy",
    "Role",
    "RunCancelledError",
    "RunContext",
    "RunError",
    "RunId",
    "RunTimeoutError",
    "ScriptedModel",
    "ScriptedReply",
    "Secret",
    "StopReason",
    "StreamInterruptedError",
    "Text",
    "TextDelta",
    "Thinking",
    "ThinkingDelta",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "ToolChoice",
    "ToolLoopLimitError",
    "ToolRegistry",
    "ToolResult",
    "ToolSpec",
    "TransientProviderError",
    "Usage",
    "agent",
    "check_value",
    "close_matches",
    "differences",
    "dump_yaml",
    "field_getter",
    "field_types",
    "fit_value",
    "from_jsonable",
    "is_assignable",
    "load_config",
    "load_history",
    "load_yaml",
    "node",
    "parse_model",
    "request_data",
    "response_data",
    "response_from_data",
    "save_history",
    "to_jsonable",
    "to_node",
    "tool",
    "tool_result_data",
    "tool_result_from_data",
    "type_name",
]
