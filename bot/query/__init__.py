"""The `/papers` language: `parse(text) -> Command` and `format_command(Command) -> text` (pure).

Every string parses to a Command or raises UsageError with one friendly sentence, never
anything else (the tests fuzz this). The grammar is described in docs/query-language.md.
The package: `model` (the parsed form, usage messages, formatting back to text), `lexer`
(cleaning, tokens, filter values), `rules` (radar rules), `parser` (one small parser per
command).
"""

from bot.query.lexer import author_name, clean_text, normalize_category
from bot.query.model import (
    EXPORT_FORMATS,
    MAX_LENGTH,
    PERSONAL_COMMANDS,
    QUERY_COMMANDS,
    Command,
    Filters,
    Schedule,
    UsageError,
    format_command,
    help_text,
    quoted,
    usage,
    usage_error,
)
from bot.query.parser import parse
from bot.query.rules import RadarRule, parse_rule

__all__ = [
    "EXPORT_FORMATS",
    "MAX_LENGTH",
    "PERSONAL_COMMANDS",
    "QUERY_COMMANDS",
    "Command",
    "Filters",
    "RadarRule",
    "Schedule",
    "UsageError",
    "author_name",
    "clean_text",
    "format_command",
    "help_text",
    "normalize_category",
    "parse",
    "parse_rule",
    "quoted",
    "usage",
    "usage_error",
]
