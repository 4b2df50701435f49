"""Platform adapters: translate platform events into core calls and core results into messages."""
