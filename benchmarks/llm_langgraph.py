"""W7 as LangGraph users write it: a ``StateGraph`` whose nodes share one LangChain chat model.

``ChatAnthropic`` / ``ChatOpenAI`` (the Responses API, the one the fake server speaks) is
built once with ``max_retries=0`` and its default HTTP client, and every node awaits its
``ainvoke``. The parallel shape is N nodes fanned out from ``START`` into one join; the map
shape is one node fed N ``Send``s; the streamed shape runs the parallel graph with
``stream_mode="messages"`` and takes each node's first text chunk.
"""

from __future__ import annotations

import operator
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

import rivals
from llm_server import ANSWER

__all__ = ["LangGraphW7", "available"]

Timed = Callable[[], Awaitable[float | None]]

_PACKAGES = {"anthropic": "langchain_anthropic", "openai": "langchain_openai"}


def available(provider: str) -> bool:
    """Whether LangGraph and the provider's LangChain integration are installed."""
    return rivals.installed("langgraph") and rivals.installed(_PACKAGES[provider])


class _State(TypedDict):
    message: str
    answers: Annotated[list[str], operator.add]


class _MapState(TypedDict):
    messages: list[str]
    answers: Annotated[list[str], operator.add]


def _chat_model(provider: str, model: str, base_url: str, key: str) -> Any:
    if provider == "anthropic":
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(
            model_name=model, base_url=base_url, api_key=key, max_retries=0, max_tokens=4096
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model, base_url=base_url, api_key=key, max_retries=0, use_responses_api=True
    )


class LangGraphW7:
    """The three shapes over one shared chat model; ``close`` closes its HTTP client."""

    def __init__(self, provider: str, model: str, base_url: str, key: str, n: int) -> None:
        from langgraph.graph import END, START, StateGraph
        from langgraph.types import Send

        self.n = n
        self.provider = provider
        self.chat = _chat_model(provider, model, base_url, key)

        async def ask(state: dict[str, str]) -> dict[str, list[str]]:
            reply = await self.chat.ainvoke(state["message"])
            return {"answers": [reply.text]}

        async def count(state: _State) -> dict[str, list[str]]:
            return {"answers": []}

        fan: Any = StateGraph(_State)
        names = [f"a{index}" for index in range(n)]
        for name in names:
            fan.add_node(name, ask)
            fan.add_edge(START, name)
        fan.add_node("count", count)
        fan.add_edge(names, "count")
        fan.add_edge("count", END)
        self._parallel = fan.compile()

        mapped: Any = StateGraph(_MapState)
        mapped.add_node("ask", ask)
        mapped.add_conditional_edges(
            START, lambda state: [Send("ask", {"message": m}) for m in state["messages"]]
        )
        mapped.add_edge("ask", END)
        self._map = mapped.compile()

    def _check(self, answers: list[str]) -> None:
        right = sum(answer == ANSWER for answer in answers)
        if right != self.n:
            raise AssertionError(f"langgraph {self.provider}: {right} right answers of {self.n}")

    def parallel(self) -> Timed:
        async def once() -> float | None:
            state = await self._parallel.ainvoke({"message": "q", "answers": []})
            self._check(state["answers"])
            return None

        return once

    def map(self) -> Timed:
        async def once() -> float | None:
            state = await self._map.ainvoke({"messages": ["q"] * self.n, "answers": []})
            self._check(state["answers"])
            return None

        return once

    def stream(self) -> Timed:
        """The parallel graph streamed; the median over nodes of the first text chunk."""

        async def once() -> float | None:
            firsts: dict[str, float] = {}
            start = time.perf_counter()
            stream = self._parallel.astream(
                {"message": "q", "answers": []}, stream_mode=["messages", "values"]
            )
            answers: list[str] = []
            async for mode, payload in stream:
                if mode == "values":
                    answers = payload["answers"]
                    continue
                chunk, metadata = payload
                if chunk.text:
                    firsts.setdefault(metadata["langgraph_node"], time.perf_counter() - start)
            self._check(answers)
            if len(firsts) != self.n:
                raise AssertionError(f"langgraph: {len(firsts)} nodes streamed of {self.n}")
            return statistics.median(firsts.values())

        return once

    async def close(self) -> None:
        if self.provider == "anthropic":
            await self.chat._async_client.close()
        else:
            await self.chat.root_async_client.close()
