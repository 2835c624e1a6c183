"""The real providers: one module per SDK (Anthropic, OpenAI), their wire formats, the
shared SDK clients and the translation of provider errors."""
