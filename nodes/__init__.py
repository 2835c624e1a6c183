"""What a unit of work is: node kinds, the run context, retry policy, types and errors;
LLM agents, model clients (providers and offline models), tools and configuration.

The LLM side loads on first use (``plait.nodes.AgentNode`` imports it), so that
``import plait`` stays fast for graphs without agents.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from plait.nodes._attempt_errors import (
        AttemptCancelledError,
        NodeProcessError,
        NodeStillRunningError,
    )
    from plait.nodes._cache import CacheKey, CachePolicy
    from plait.nodes._cancel import CancelToken
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
    from plait.nodes._importable import NotImportableError, reference_of, resolve_reference
    from plait.nodes._policy import NO_RETRY, RetryPolicy
    from plait.nodes._type_names import close_matches, type_name
    from plait.nodes._types import is_assignable
    from plait.nodes._values import (
        ArgumentField,
        Arguments,
        check_value,
        fit_value,
        from_jsonable,
        json_schema,
        to_jsonable,
    )
    from plait.nodes.agents._approval import (
        ApprovalPendingError,
        ApprovalRequest,
        Decision,
        decision_from,
    )
    from plait.nodes.agents._factory import agent
    from plait.nodes.agents._journal import Journal, JournalEntry, MemoryJournal
    from plait.nodes.agents._node import AGENT_RETRY, AgentNode, AgentResult, NodeBoundModel
    from plait.nodes.agents._tools import Tool, ToolRegistry, tool
    from plait.nodes.agents._usage import UsageTotal, journal_usage, top_level_node
    from plait.nodes.llm._catalog import ModelCatalog
    from plait.nodes.llm._codec import (
        canonical_json,
        differences,
        messages_data,
        messages_from_data,
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
    from plait.nodes.llm._pricing import PRICING, Pricing
    from plait.nodes.llm._scripted import ScriptedModel, ScriptedReply
    from plait.nodes.llm._secret import Secret, Secrets, is_secret_name
    from plait.nodes.llm._yaml import dump_yaml, load_yaml
    from plait.nodes.llm.providers._anthropic import AnthropicModel
    from plait.nodes.llm.providers._openai import OpenAIModel
    from plait.nodes.mcp._errors import MCPServerError
    from plait.nodes.mcp._hub import MCPHub
    from plait.nodes.mcp._refs import (
        MCPPrompt,
        MCPResource,
        MCPTools,
        mcp_prompt,
        mcp_resource,
    )
    from plait.nodes.mcp._server import MCPServer
    from plait.nodes.mcp._tools import MCPTool
    from plait.nodes.memory._conversation import ConversationMemory
    from plait.nodes.memory._protocol import Memory
    from plait.nodes.memory._shared import Key, Scope, SharedMemory, SharedMemoryError
    from plait.nodes.memory.vectors._embedders import Embedder, HashingEmbedder
    from plait.nodes.memory.vectors._local import LocalEmbedder
    from plait.nodes.memory.vectors._numpy_index import NumpyIndex
    from plait.nodes.memory.vectors._openai import OpenAIEmbedder
    from plait.nodes.memory.vectors._postgres import PostgresVectorIndex
    from plait.nodes.memory.vectors._protocol import Hit, VectorError, VectorIndex
    from plait.nodes.memory.vectors._retrieval import VectorMemory, retrieval_node, retrieval_tool
    from plait.nodes.memory.vectors._sqlite import SQLiteVectorIndex

_PUBLIC: dict[str, str] = {
    "AGENT_RETRY": "plait.nodes.agents._node",
    "ALIASES": "plait.nodes.llm._model_string",
    "CALL_TOOL_INDICATOR": "plait.nodes.llm._offline",
    "CONFIG_FILE": "plait.nodes.llm._config",
    "FIXED_RESPONSE_INDICATOR": "plait.nodes.llm._offline",
    "NO_RETRY": "plait.nodes._policy",
    "PRICING": "plait.nodes.llm._pricing",
    "PROVIDERS": "plait.nodes.llm._model_string",
    "SECRETS_FILE": "plait.nodes.llm._config",
    "AgentError": "plait.nodes._errors",
    "AgentNode": "plait.nodes.agents._node",
    "AgentResult": "plait.nodes.agents._node",
    "AnthropicModel": "plait.nodes.llm.providers._anthropic",
    "ApprovalPendingError": "plait.nodes.agents._approval",
    "ApprovalRequest": "plait.nodes.agents._approval",
    "AttemptCancelledError": "plait.nodes._attempt_errors",
    "AuthenticationError": "plait.nodes._errors",
    "BadRequestError": "plait.nodes._errors",
    "CacheKey": "plait.nodes._cache",
    "CachePolicy": "plait.nodes._cache",
    "CancelToken": "plait.nodes._cancel",
    "ConfigError": "plait.nodes._errors",
    "ContextTooLongError": "plait.nodes._errors",
    "ConversationMemory": "plait.nodes.memory._conversation",
    "Decision": "plait.nodes.agents._approval",
    "DefinitionError": "plait.nodes._errors",
    "Delta": "plait.nodes.llm._model",
    "DeltaHandler": "plait.nodes.llm._model",
    "Embedder": "plait.nodes.memory.vectors._embedders",
    "FunctionNode": "plait.nodes._function",
    "GraphDefinitionError": "plait.nodes._errors",
    "HashingEmbedder": "plait.nodes.memory.vectors._embedders",
    "Hit": "plait.nodes.memory.vectors._protocol",
    "Image": "plait.nodes.llm._messages",
    "Input": "plait.nodes._function",
    "InputError": "plait.nodes._errors",
    "Journal": "plait.nodes.agents._journal",
    "JournalEntry": "plait.nodes.agents._journal",
    "Key": "plait.nodes.memory._shared",
    "LocalEmbedder": "plait.nodes.memory.vectors._local",
    "MCPPrompt": "plait.nodes.mcp._refs",
    "MCPResource": "plait.nodes.mcp._refs",
    "MCPServer": "plait.nodes.mcp._server",
    "MCPServerError": "plait.nodes.mcp._errors",
    "MCPTool": "plait.nodes.mcp._tools",
    "MCPTools": "plait.nodes.mcp._refs",
    "Memory": "plait.nodes.memory._protocol",
    "MemoryJournal": "plait.nodes.agents._journal",
    "Message": "plait.nodes.llm._messages",
    "ModelCatalog": "plait.nodes.llm._catalog",
    "ModelClient": "plait.nodes.llm._model",
    "ModelRequest": "plait.nodes.llm._model",
    "ModelResponse": "plait.nodes.llm._model",
    "ModelSpec": "plait.nodes.llm._model_string",
    "Node": "plait.nodes._function",
    "NodeBoundModel": "plait.nodes.agents._node",
    "NodeFailedError": "plait.nodes._errors",
    "NodeId": "plait.nodes._context",
    "NodeOutputError": "plait.nodes._errors",
    "NodeProcessError": "plait.nodes._attempt_errors",
    "NodeStillRunningError": "plait.nodes._attempt_errors",
    "NodeTimeoutError": "plait.nodes._errors",
    "NondeterminismError": "plait.nodes._errors",
    "NotImportableError": "plait.nodes._importable",
    "NumpyIndex": "plait.nodes.memory.vectors._numpy_index",
    "OpenAIEmbedder": "plait.nodes.memory.vectors._openai",
    "OpenAIModel": "plait.nodes.llm.providers._openai",
    "OutputSchema": "plait.nodes.llm._model",
    "OutputValidationError": "plait.nodes._errors",
    "OverloadedError": "plait.nodes._errors",
    "Part": "plait.nodes.llm._messages",
    "PassthroughModel": "plait.nodes.llm._offline",
    "PlaitConfig": "plait.nodes.llm._config",
    "PlaitError": "plait.nodes._errors",
    "PlaybackModel": "plait.nodes.llm._offline",
    "PostgresVectorIndex": "plait.nodes.memory.vectors._postgres",
    "Pricing": "plait.nodes.llm._pricing",
    "Problem": "plait.nodes._errors",
    "ProviderConfig": "plait.nodes.llm._config",
    "ProviderConnectionError": "plait.nodes._errors",
    "ProviderError": "plait.nodes._errors",
    "ProviderServerError": "plait.nodes._errors",
    "ProviderTimeoutError": "plait.nodes._errors",
    "RateLimit": "plait.nodes.llm._config",
    "RateLimitedError": "plait.nodes._errors",
    "RateLimitedModel": "plait.nodes.llm._limits",
    "RateLimiter": "plait.nodes.llm._limits",
    "RetryPolicy": "plait.nodes._policy",
    "Role": "plait.nodes.llm._messages",
    "RunCancelledError": "plait.nodes._errors",
    "RunContext": "plait.nodes._context",
    "RunError": "plait.nodes._errors",
    "RunId": "plait.nodes._context",
    "RunTimeoutError": "plait.nodes._errors",
    "SQLiteVectorIndex": "plait.nodes.memory.vectors._sqlite",
    "Scope": "plait.nodes.memory._shared",
    "ScriptedModel": "plait.nodes.llm._scripted",
    "ScriptedReply": "plait.nodes.llm._scripted",
    "Secret": "plait.nodes.llm._secret",
    "Secrets": "plait.nodes.llm._secret",
    "SharedMemory": "plait.nodes.memory._shared",
    "SharedMemoryError": "plait.nodes.memory._shared",
    "StopReason": "plait.nodes.llm._messages",
    "StreamInterruptedError": "plait.nodes._errors",
    "Text": "plait.nodes.llm._messages",
    "TextDelta": "plait.nodes.llm._model",
    "Thinking": "plait.nodes.llm._messages",
    "ThinkingDelta": "plait.nodes.llm._model",
    "Tool": "plait.nodes.agents._tools",
    "ToolCall": "plait.nodes.llm._messages",
    "ToolCallDelta": "plait.nodes.llm._model",
    "ToolChoice": "plait.nodes.llm._model",
    "ToolLoopLimitError": "plait.nodes._errors",
    "ToolRegistry": "plait.nodes.agents._tools",
    "ToolResult": "plait.nodes.llm._messages",
    "ToolSpec": "plait.nodes.llm._model",
    "TransientProviderError": "plait.nodes._errors",
    "Usage": "plait.nodes.llm._messages",
    "VectorError": "plait.nodes.memory.vectors._protocol",
    "VectorIndex": "plait.nodes.memory.vectors._protocol",
    "VectorMemory": "plait.nodes.memory.vectors._retrieval",
    "agent": "plait.nodes.agents._factory",
    "load_config": "plait.nodes.llm._config",
    "load_history": "plait.nodes.llm._history",
    "mcp_prompt": "plait.nodes.mcp._refs",
    "mcp_resource": "plait.nodes.mcp._refs",
    "node": "plait.nodes._function",
    "parse_model": "plait.nodes.llm._model_string",
    "retrieval_node": "plait.nodes.memory.vectors._retrieval",
    "retrieval_tool": "plait.nodes.memory.vectors._retrieval",
    "save_history": "plait.nodes.llm._history",
    "to_node": "plait.nodes._function",
    "tool": "plait.nodes.agents._tools",
}
"""The user API: each name and the module it is loaded from, on first use."""

_INTERNAL: dict[str, str] = {
    "ArgumentField": "plait.nodes._values",
    "Arguments": "plait.nodes._values",
    "check_value": "plait.nodes._values",
    "close_matches": "plait.nodes._type_names",
    "decision_from": "plait.nodes.agents._approval",
    "dump_yaml": "plait.nodes.llm._yaml",
    "is_secret_name": "plait.nodes.llm._secret",
    "field_getter": "plait.nodes._fields",
    "field_types": "plait.nodes._fields",
    "fit_value": "plait.nodes._values",
    "tool_result_from_data": "plait.nodes.llm._codec",
    "tool_result_data": "plait.nodes.llm._codec",
    "response_from_data": "plait.nodes.llm._codec",
    "response_data": "plait.nodes.llm._codec",
    "request_data": "plait.nodes.llm._codec",
    "differences": "plait.nodes.llm._codec",
    "canonical_json": "plait.nodes.llm._codec",
    "messages_data": "plait.nodes.llm._codec",
    "messages_from_data": "plait.nodes.llm._codec",
    "from_jsonable": "plait.nodes._values",
    "is_assignable": "plait.nodes._types",
    "json_schema": "plait.nodes._values",
    "load_yaml": "plait.nodes.llm._yaml",
    "MCPHub": "plait.nodes.mcp._hub",
    "reference_of": "plait.nodes._importable",
    "resolve_reference": "plait.nodes._importable",
    "to_jsonable": "plait.nodes._values",
    "type_name": "plait.nodes._type_names",
    "UsageTotal": "plait.nodes.agents._usage",
    "journal_usage": "plait.nodes.agents._usage",
    "top_level_node": "plait.nodes.agents._usage",
}
"""Helpers the other layers share: importable from here, not part of `__all__`."""


__all__ = list(_PUBLIC)


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name) or _INTERNAL.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC, *_INTERNAL})
