"""Channel adapters: each turns its platform's traffic into :mod:`handlers.messages`."""
