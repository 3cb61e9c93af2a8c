"""Prompt templates, as data. Shipped inside the package as ``affect_llm._prompts``."""
