"""Where the OpenTelemetry listener's spans go: straight to the SDK's span processors as
finished ``ReadableSpan``s, or through any other tracer's ``start_span``.

The listener builds spans from events after the fact, with the events' times, so it has
no use for the SDK's live ``Span`` (a lock, bounded attributes, ``on_start`` callbacks,
about 15 µs from start to end). With the SDK's ``Tracer`` (its public ``sampler``,
``id_generator``, ``resource`` and ``span_processor``) a span is a record kept here until
it ends, then one ``ReadableSpan`` handed to the provider's processors (``on_end``):
about 2.5 µs. The sampler is asked once per run, at the run span; the run's spans share
its decision, as under the default parent-based sampler. Processors' ``on_start`` is not
called (there is no live span to give them). Any other tracer (the API's no-op, another
SDK) gets the API's calls, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import Tracer as SdkTracer
    from opentelemetry.trace import Span, SpanContext, Status, Tracer
    from opentelemetry.util.types import AttributeValue

__all__ = ["Attributes", "OpenSpan", "SpanSink", "api_span", "sink_for"]

Attributes = dict[str, "AttributeValue"]
"""A span's attributes (a fresh dict each: the span keeps it)."""


@dataclass(slots=True)
class OpenSpan:
    """A span begun and not yet ended: what it will be made of."""

    name: str
    context: SpanContext
    parent: SpanContext | None
    start: int
    attributes: Attributes
    events: list[tuple[str, Mapping[str, AttributeValue], int]] = field(default_factory=list)
    status: Status | None = None
    live: Span | None = None
    """The API span behind it, for a tracer that is not the SDK's."""

    def add_event(self, name: str, attributes: Mapping[str, AttributeValue], at: int) -> None:
        """An event at ``at`` (nanoseconds since the epoch)."""
        self.events.append((name, attributes, at))


class SpanSink:
    """Begins and ends spans through any tracer's API."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def begin(
        self, name: str, parent: OpenSpan | None, attributes: Attributes, start: int
    ) -> OpenSpan:
        """A span beginning at ``start``, inside ``parent`` (the current span's when None)."""
        from opentelemetry import trace

        context = None if parent is None else trace.set_span_in_context(api_span(parent))
        live = self.tracer.start_span(
            name, context=context, attributes=attributes, start_time=start
        )
        parent_context = None if parent is None else parent.context
        return OpenSpan(name, live.get_span_context(), parent_context, start, {}, live=live)

    def end(self, span: OpenSpan, at: int) -> None:
        """End ``span`` at ``at``, with what was added to it since it began."""
        live = span.live
        assert live is not None
        if span.attributes:
            live.set_attributes(span.attributes)
        for name, attributes, when in span.events:
            live.add_event(name, attributes, when)
        if span.status is not None:
            live.set_status(span.status)
        live.end(at)


class ReadableSpanSink(SpanSink):
    """Makes finished ``ReadableSpan``s for the SDK tracer's span processors."""

    def __init__(self, tracer: SdkTracer) -> None:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanKind, Status, StatusCode, TraceFlags

        super().__init__(tracer)
        self.sdk = tracer
        self._event = Event
        self._readable = ReadableSpan
        self._scope = InstrumentationScope("plait")
        self._kind = SpanKind.INTERNAL
        self._unset = Status(StatusCode.UNSET)
        self._flags = TraceFlags

    def begin(
        self, name: str, parent: OpenSpan | None, attributes: Attributes, start: int
    ) -> OpenSpan:
        from opentelemetry.trace import SpanContext

        ids = self.sdk.id_generator
        if parent is not None:
            above = parent.context
            context = SpanContext(
                above.trace_id, ids.generate_span_id(), False, above.trace_flags, above.trace_state
            )
            return OpenSpan(name, context, above, start, attributes)
        return self._root(name, attributes, start)

    def _root(self, name: str, attributes: Attributes, start: int) -> OpenSpan:
        """A run's span: the sampler decides for the run, inside the current span if any."""
        from opentelemetry import trace
        from opentelemetry.sdk.trace.sampling import Decision
        from opentelemetry.trace import SpanContext

        ids = self.sdk.id_generator
        above: SpanContext | None = trace.get_current_span().get_span_context()
        if above is None or not above.is_valid:
            above = None
            trace_id = ids.generate_trace_id()
            random = ids.is_trace_id_random()
        else:
            trace_id = above.trace_id
            random = bool(above.trace_flags & self._flags.RANDOM_TRACE_ID)
        kind = self._kind
        decided = self.sdk.sampler.should_sample(None, trace_id, name, kind, attributes, ())
        sampled = decided.decision is Decision.RECORD_AND_SAMPLE
        flags = self._flags.SAMPLED if sampled else self._flags.DEFAULT
        if random:
            flags |= self._flags.RANDOM_TRACE_ID
        context = SpanContext(
            trace_id, ids.generate_span_id(), False, self._flags(flags), decided.trace_state
        )
        if not sampled:  # its spans end unrecorded (the SDK's record-only spans too)
            return OpenSpan(name, context, above, start, attributes)
        if decided.attributes:
            attributes = {**decided.attributes, **attributes}
        return OpenSpan(name, context, above, start, attributes)

    def end(self, span: OpenSpan, at: int) -> None:
        if not span.context.trace_flags.sampled:
            return
        event = self._event
        finished = self._readable(
            span.name,
            span.context,
            span.parent,
            self.sdk.resource,
            span.attributes,
            [event(name, attributes, when) for name, attributes, when in span.events],
            (),
            self._kind,
            None,
            span.status or self._unset,
            span.start,
            at,
            self._scope,
        )
        self.sdk.span_processor.on_end(finished)


def sink_for(tracer: Tracer) -> SpanSink:
    """The fastest sink ``tracer`` allows: finished spans for the SDK's own tracer."""
    try:
        from opentelemetry.sdk.trace import Tracer as SdkTracer
    except ImportError:
        return SpanSink(tracer)
    return ReadableSpanSink(tracer) if isinstance(tracer, SdkTracer) else SpanSink(tracer)


def api_span(span: OpenSpan) -> Span:
    """``span`` as the API sees a parent: its live span, or its context alone."""
    from opentelemetry.trace import NonRecordingSpan

    return span.live if span.live is not None else NonRecordingSpan(span.context)
