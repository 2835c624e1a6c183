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
    NodeTimeoutError,
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
from plait.nodes._values import check_value, from_jsonable, to_jsonable
from plait.nodes._yaml import dump_yaml, load_yaml

if _typing.TYPE_CHECKING:
    from plait.nodes._agent import AGENT_RETRY, AgentNode, AgentResult, NodeBoundModel
    from plait.nodes._agent_factory import agent
    from plait.nodes._anthropic import AnthropicModel
    from plait.nodes._catalog import PRICING, ModelCatalog, Pricing
    from plait.nodes._config import (
        CONFIG_FILE,
        SECRETS_FILE,
        PlaitConfig,
        ProviderConfig,
        RateLimit,
        load_config,
    )
    from plait.nodes._history import load_history, save_history
    from plait.nodes._limits import RateLimitedModel, RateLimiter
    from plait.nodes._memory import ConversationMemory
    from plait.nodes._messages import (
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
    from plait.nodes._model import (
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
    from plait.nodes._model_string import ALIASES, PROVIDERS, ModelSpec, parse_model
    from plait.nodes._offline import (
        CALL_TOOL_INDICATOR,
        FIXED_RESPONSE_INDICATOR,
        PassthroughModel,
        PlaybackModel,
    )
    from plait.nodes._openai import OpenAIModel
    from plait.nodes._scripted import ScriptedModel, ScriptedReply
    from plait.nodes._secret import Secret
    from plait.nodes._tools import Tool, ToolRegistry, tool

_LAZY: dict[str, str] = {
    "AGENT_RETRY": "plait.nodes._agent",
    "ALIASES": "plait.nodes._model_string",
    "AgentNode": "plait.nodes._agent",
    "AgentResult": "plait.nodes._agent",
    "AnthropicModel": "plait.nodes._anthropic",
    "CALL_TOOL_INDICATOR": "plait.nodes._offline",
    "CONFIG_FILE": "plait.nodes._config",
    "ConversationMemory": "plait.nodes._memory",
    "Delta": "plait.nodes._model",
    "DeltaHandler": "plait.nodes._model",
    "FIXED_RESPONSE_INDICATOR": "plait.nodes._offline",
    "Image": "plait.nodes._messages",
    "Message": "plait.nodes._messages",
    "ModelCatalog": "plait.nodes._catalog",
    "ModelClient": "plait.nodes._model",
    "ModelRequest": "plait.nodes._model",
    "ModelResponse": "plait.nodes._model",
    "ModelSpec": "plait.nodes._model_string",
    "NodeBoundModel": "plait.nodes._agent",
    "OpenAIModel": "plait.nodes._openai",
    "OutputSchema": "plait.nodes._model",
    "PRICING": "plait.nodes._catalog",
    "PROVIDERS": "plait.nodes._model_string",
    "Part": "plait.nodes._messages",
    "PassthroughModel": "plait.nodes._offline",
    "PlaitConfig": "plait.nodes._config",
    "PlaybackModel": "plait.nodes._offline",
    "Pricing": "plait.nodes._catalog",
    "ProviderConfig": "plait.nodes._config",
    "RateLimit": "plait.nodes._config",
    "RateLimitedModel": "plait.nodes._limits",
    "RateLimiter": "plait.nodes._limits",
    "Role": "plait.nodes._messages",
    "SECRETS_FILE": "plait.nodes._config",
    "ScriptedModel": "plait.nodes._scripted",
    "ScriptedReply": "plait.nodes._scripted",
    "Secret": "plait.nodes._secret",
    "StopReason": "plait.nodes._messages",
    "Text": "plait.nodes._messages",
    "TextDelta": "plait.nodes._model",
    "Thinking": "plait.nodes._messages",
    "ThinkingDelta": "plait.nodes._model",
    "Tool": "plait.nodes._tools",
    "ToolCall": "plait.nodes._messages",
    "ToolCallDelta": "plait.nodes._model",
    "ToolChoice": "plait.nodes._model",
    "ToolRegistry": "plait.nodes._tools",
    "ToolResult": "plait.nodes._messages",
    "ToolSpec": "plait.nodes._model",
    "Usage": "plait.nodes._messages",
    "agent": "plait.nodes._agent_factory",
    "load_config": "plait.nodes._config",
    "load_history": "plait.nodes._history",
    "parse_model": "plait.nodes._model_string",
    "save_history": "plait.nodes._history",
    "tool": "plait.nodes._tools",
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
    "NodeTimeoutError",
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
    "dump_yaml",
    "field_getter",
    "field_types",
    "from_jsonable",
    "is_assignable",
    "load_config",
    "load_history",
    "load_yaml",
    "node",
    "parse_model",
    "save_history",
    "to_jsonable",
    "to_node",
    "tool",
    "type_name",
]
