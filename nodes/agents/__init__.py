"""The agent node kind: the tool-calling loop, its factory, typed output and tools."""
