"""LLM side of the nodes layer: messages, the model-client protocol, model strings and
the catalog, offline models, configuration and secrets, conversation history files."""
