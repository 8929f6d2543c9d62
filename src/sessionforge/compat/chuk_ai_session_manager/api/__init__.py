"""``chuk_ai_session_manager.api``: the simple API lives in :mod:`.simple_api`."""
