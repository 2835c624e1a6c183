"""Example graphs, runnable offline: ``plait run examples.digest:graph --input ...``."""
