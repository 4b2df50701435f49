"""AcademicHub core: the paper radar engine. Knows nothing about Slack or Discord."""

__version__ = "0.1.0"
