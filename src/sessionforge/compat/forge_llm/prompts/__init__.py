"""``forge_llm.prompts``: prompt templates from Markdown files, with built-in defaults.

A prompt file is Markdown; by default its first fenced code block is the prompt (else the text under
its first heading). forge_llm looked for ``prompts/`` next to its own source checkout; an installed
package has none, so this mirror looks in ``$FORGE_LLM_PROMPTS`` or else ``./prompts``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "DEFAULT_PROMPTS",
    "get_default_prompt",
    "get_prompts_path",
    "list_prompts",
    "load_prompt",
    "load_prompt_from_file",
]

DEFAULT_PROMPTS: dict[str, str] = {
    "summarization": (
        "Summarize the conversation below for whoever continues it. Keep the facts that later turns "
        "may need (names, numbers, decisions, open questions) and leave out small talk.\n\n"
        "Conversation:\n{messages}\n\nSummary:"
    ),
    "system/general_assistant": (
        "You are a helpful and honest assistant. Answer clearly and briefly, say when you do not know, "
        "and ask when a request is ambiguous."
    ),
}
"""Built-in prompts, used when no file provides one (``{messages}`` is where a transcript goes)."""

_CODE_BLOCK = re.compile(r"```(?:\w*)\n(.*?)```", re.S)


def get_prompts_path() -> Path:
    """The folder prompt files are read from: ``$FORGE_LLM_PROMPTS``, else ``./prompts``."""
    return Path(os.environ.get("FORGE_LLM_PROMPTS") or Path.cwd() / "prompts")


def _extract(content: str) -> str:
    match = _CODE_BLOCK.search(content)
    if match:
        return match.group(1).strip()
    lines = content.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("# "):
            body = "\n".join(lines[index + 1 :]).strip()
            return body or content
    return content


def load_prompt_from_file(file_path: str | Path, extract_code_block: bool = True) -> str:
    """The prompt in ``file_path``; raises ``FileNotFoundError`` if there is no such file."""
    path = Path(file_path)
    if not path.exists():
        raise FileNotFoundError(f"Prompt file not found: {path}")
    content = path.read_text(encoding="utf-8")
    return _extract(content) if extract_code_block else content


def load_prompt(name: str, extract_code_block: bool = True) -> str:
    """The prompt ``name`` (e.g. ``"summarization"``, ``"system/coding_assistant"``) from the prompts folder."""
    return load_prompt_from_file(get_prompts_path() / f"{name}.md", extract_code_block)


def list_prompts() -> list[str]:
    """The names of the prompt files in the prompts folder (``README.md`` aside)."""
    root = get_prompts_path()
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.md") if p.name != "README.md"
    )


def get_default_prompt(name: str) -> str | None:
    """A built-in prompt, or ``None``."""
    return DEFAULT_PROMPTS.get(name)
