"""``chuk_ai_session_manager.config``: the model tokens are counted for when none is named.

sessionforge's own default: ``$SESSIONFORGE_TOKEN_MODEL``, else ``$CHUK_DEFAULT_MODEL``, else
``gpt-4o-mini``, read at import (no ``.env`` file is read).
"""

from sessionforge.core.tokens import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL"]
