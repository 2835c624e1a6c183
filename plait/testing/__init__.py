"""Testing helpers of the front: cassettes (record a run's LLM and tool calls, replay them)."""
