"""What the compat mirrors must provide: the public names of forge_llm 0.5.0 and chuk-ai-session-manager 0.11.2."""
