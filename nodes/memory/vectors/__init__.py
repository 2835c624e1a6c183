"""Vector memory: the ``VectorIndex`` protocol and its indexes (numpy in process, SQLite,
PostgreSQL), embedders (hashing, OpenAI, the local model), and retrieval for agents and
graphs (ADR 020). numpy and the embedding model load on first use, not with plait."""

from plait.nodes.memory.vectors._embedders import Embedder, HashingEmbedder
from plait.nodes.memory.vectors._local import LocalEmbedder, local_model_available
from plait.nodes.memory.vectors._numpy_index import NumpyIndex
from plait.nodes.memory.vectors._openai import (
    OPENAI_EMBEDDING_DIMENSIONS,
    OpenAIEmbedder,
)
from plait.nodes.memory.vectors._postgres import PostgresVectorIndex
from plait.nodes.memory.vectors._protocol import (
    Hit,
    JsonValue,
    Metadata,
    Vector,
    VectorError,
    VectorIndex,
    Where,
)
from plait.nodes.memory.vectors._retrieval import (
    TEXT_FIELD,
    VectorMemory,
    format_hits,
    retrieval_node,
    retrieval_tool,
)
from plait.nodes.memory.vectors._sqlite import SQLiteVectorIndex

__all__ = [
    "OPENAI_EMBEDDING_DIMENSIONS",
    "TEXT_FIELD",
    "Embedder",
    "HashingEmbedder",
    "Hit",
    "JsonValue",
    "LocalEmbedder",
    "Metadata",
    "NumpyIndex",
    "OpenAIEmbedder",
    "PostgresVectorIndex",
    "SQLiteVectorIndex",
    "Vector",
    "VectorError",
    "VectorIndex",
    "VectorMemory",
    "Where",
    "format_hits",
    "local_model_available",
    "retrieval_node",
    "retrieval_tool",
]
