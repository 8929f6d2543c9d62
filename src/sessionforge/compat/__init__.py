"""Mirrors of forge_llm 0.5.0 and chuk-ai-session-manager 0.11.2, module path for module path.

Each mirror is a thin layer over sessionforge's own model: values whose shape differs (forge_llm's
``ChatMessage`` dataclass with OpenAI-style tool-call dicts, its positional ``TokenUsage``) have a
class of their own here that converts to and from sessionforge's; names whose shape is the same are
sessionforge's own classes. Import them as ``sessionforge.compat.<library>``.
"""
