"""LLM TL;DRs and briefings through any OpenAI-compatible chat-completions server."""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from string import Template
from typing import Any

import openai
import tenacity
from openai.types.chat import ChatCompletionMessageParam, completion_create_params

from bot.models import DigestEntry, Paper
from bot.summarize.base import BRIEFING_MAX_CHARS, TLDR_MAX_CHARS, TokenBudget

log = logging.getLogger(__name__)

PROMPT_VERSION = "v1"
_USER_MARK = "=== user ==="
_ABSTRACT_MAX_CHARS = 3000  # bounds tokens per paper; abstracts are rarely longer
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese",
    "zh-cn": "Simplified Chinese",
    "zh-hans": "Simplified Chinese",
    "zh-tw": "Traditional Chinese",
    "zh-hant": "Traditional Chinese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "hi": "Hindi",
}
TLDR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "tldr": {"type": "string"}},
                "required": ["id", "tldr"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["items"],
    "additionalProperties": False,
}
BRIEFING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"briefing": {"type": "string"}},
    "required": ["briefing"],
    "additionalProperties": False,
}

# Things chat platforms act on: Slack <!channel> <@U1> <http://…|x>, Discord <@123> @everyone, HTML, [x](url).
_MARKUP_RE = re.compile(r"<\s*[!@#/a-zA-Z]|@(?:everyone|here|channel)\b|\]\(|javascript:", re.IGNORECASE)
_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|`+)(?=\S)(.+?)(?<=\S)\1")
_LEADING_RE = re.compile(r"^(?:#{1,6}\s+|[-*•]\s+|tl;?dr\s*[:：-]\s*)", re.IGNORECASE)
_CITE_RE = re.compile(r"\[([^\[\]]{1,40})\]")
_ARXIV_ID_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_QUOTED_RE = re.compile(r"[\"“«「『]([^\"”»」』]{12,200})[\"”»」』]")


class LLMUnavailable(Exception):
    """No (further) request may be sent now: budget spent, deadline passed or server down."""


def language_name(code: str) -> str:
    """A human name for a language code, for the prompt."""
    safe = re.sub(r"[^a-z-]", "", code.lower())[:16] or "en"
    return LANGUAGE_NAMES.get(safe, LANGUAGE_NAMES.get(safe.split("-")[0], f"the language '{safe}'"))


def load_prompt(kind: str, version: str = PROMPT_VERSION) -> tuple[Template, Template]:
    """The (system, user) templates of prompts/{kind}_{version}.txt."""
    text = resources.files("bot.summarize").joinpath(f"prompts/{kind}_{version}.txt").read_text("utf-8")
    system, user = text.split(_USER_MARK, 1)
    return Template(system.strip()), Template(user.strip())


def data_block(items: list[dict[str, Any]]) -> str:
    """Untrusted items as JSON that cannot close the surrounding ``` fence."""
    # Backticks only occur inside JSON strings, so escaping them keeps the JSON valid.
    return json.dumps(items, ensure_ascii=False, indent=1).replace("`", "\\u0060")


def clean_model_text(value: object, limit: int, *, newlines: bool = False) -> str | None:
    """Model output as safe plain text, or None if empty, too long or carrying markup."""
    if not isinstance(value, str):
        return None
    keep = "\n" if newlines else ""
    text = "".join(
        c if c in keep or unicodedata.category(c) not in ("Cc", "Cf") else " " for c in value
    ).replace("\r", "")
    if _MARKUP_RE.search(text):
        return None
    lines = [_LEADING_RE.sub("", _EMPHASIS_RE.sub(r"\2", line)).strip() for line in text.split("\n")]
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    if not text or len(text) > limit:
        return None
    return text


def _json_object(content: str | None) -> dict[str, Any] | None:
    if not content:
        return None
    text = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", content)  # some servers fence json_object output
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def parse_tldrs(content: str | None, ids: Iterable[str]) -> dict[str, str]:
    """Valid {id, tldr} items of a model answer; unknown ids, duplicates and bad text are dropped."""
    wanted = set(ids)
    data = _json_object(content)
    items = data.get("items") if data else None
    out: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        pid = item.get("id")
        if not isinstance(pid, str) or pid not in wanted or pid in out:
            continue
        text = clean_model_text(item.get("tldr"), TLDR_MAX_CHARS)
        if text:
            out[pid] = text
    return out


def validate_briefing(text: str, entries: Sequence[DigestEntry]) -> str | None:
    """The briefing if it cites only this digest's numbers (at least one) and names nothing outside it."""
    clean = clean_model_text(text, BRIEFING_MAX_CHARS, newlines=True)
    if clean is None:
        return None
    numbers = {e.number for e in entries}
    cited: list[int] = []
    for group in _CITE_RE.findall(clean):
        parts = [p.strip() for p in group.split(",")]
        if any(ch.isdigit() for ch in group):
            if not all(p.isdigit() and int(p) in numbers for p in parts):
                return None
            cited.extend(int(p) for p in parts)
    if not cited:
        return None
    known_ids = {e.paper.id for e in entries}
    if any(found not in known_ids for found in _ARXIV_ID_RE.findall(clean)):
        return None
    # A long quoted phrase must come from the digest (a title or a TL;DR), not from elsewhere.
    corpus = " ".join(f"{e.paper.title} {e.tldr} {e.paper.abstract}" for e in entries).casefold()
    if any(q.strip().casefold() not in corpus for q in _QUOTED_RE.findall(clean)):
        return None
    return clean


def retry_after_seconds(exc: Exception, now: Callable[[], float] = time.time) -> float | None:
    """The server's Retry-After (or retry-after-ms) in seconds, if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        if value.strip().replace(".", "", 1).isdigit():
            return float(value)
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - now())
    except (ValueError, TypeError):
        return None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in (408, 409, 429) or status >= 500)


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info(
        "LLM request failed (%s); retry %d in %.1f s", exc.__class__.__name__, state.attempt_number, wait
    )


def _batches(papers: Sequence[Paper], size: int) -> Iterable[Sequence[Paper]]:
    for start in range(0, len(papers), size):
        yield papers[start : start + size]


class LLMSummarizer:
    """Batched, budgeted, time-bounded TL;DRs and briefings from an OpenAI-compatible server."""

    name = "llm"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        budget: TokenBudget,
        batch_size: int = 6,
        timeout: float = 30.0,
        max_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_wait: float = 10.0,
        tldr_deadline: float = 40.0,
        briefing_deadline: float = 15.0,
        cooldown: float = 300.0,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        # The SDK's own retries would ignore our deadline, so they are off and _complete retries.
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self.model = model
        self.budget = budget
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.tldr_deadline = tldr_deadline
        self.briefing_deadline = briefing_deadline
        self.cooldown = cooldown
        self.prompt_version = prompt_version
        self._clock = clock
        self._sleep = sleep
        self._use_schema = True
        self._down_until = float("-inf")

    @property
    def cache_key(self) -> str:
        """The TL;DR cache key: model and prompt version."""
        return f"{self.name}:{self.model}:tldr_{self.prompt_version}"

    def tldrs(self, papers: Sequence[Paper], language: str) -> dict[str, str]:
        """TL;DRs for as many papers as the budget, the deadline and the server allow."""
        out: dict[str, str] = {}
        deadline = self._clock() + self.tldr_deadline
        for batch in _batches(papers, self.batch_size):
            try:
                content = self._complete(self._tldr_messages(batch, language), "tldrs", TLDR_SCHEMA, deadline)
            except LLMUnavailable as exc:
                log.info("LLM TL;DRs stopped after %d of %d papers: %s", len(out), len(papers), exc)
                break
            found = parse_tldrs(content, (p.id for p in batch))
            if len(found) < len(batch):
                log.info("LLM answer had %d valid TL;DRs for %d papers", len(found), len(batch))
            out.update(found)
        return out

    def briefing(self, entries: Sequence[DigestEntry], language: str) -> str | None:
        """One request for the digest's briefing; None when unavailable or invalid."""
        if not entries:
            return None
        deadline = self._clock() + self.briefing_deadline
        try:
            content = self._complete(
                self._briefing_messages(entries, language), "briefing", BRIEFING_SCHEMA, deadline
            )
        except LLMUnavailable as exc:
            log.info("LLM briefing skipped: %s", exc)
            return None
        data = _json_object(content)
        text = data.get("briefing") if data else None
        result = validate_briefing(text, entries) if isinstance(text, str) else None
        if result is None:
            log.info("LLM briefing rejected by validation")
        return result

    def _tldr_messages(self, batch: Sequence[Paper], language: str) -> list[ChatCompletionMessageParam]:
        items = [{"id": p.id, "title": p.title, "abstract": p.abstract[:_ABSTRACT_MAX_CHARS]} for p in batch]
        return self._messages("tldr", language, items, TLDR_MAX_CHARS)

    def _briefing_messages(
        self, entries: Sequence[DigestEntry], language: str
    ) -> list[ChatCompletionMessageParam]:
        items = [
            {
                "number": e.number,
                "id": e.paper.id,
                "title": e.paper.title,
                "categories": e.paper.categories,
                "tldr": e.tldr or e.paper.abstract[:600],
            }
            for e in entries
        ]
        return self._messages("briefing", language, items, BRIEFING_MAX_CHARS)

    def _messages(
        self, kind: str, language: str, items: list[dict[str, Any]], max_chars: int
    ) -> list[ChatCompletionMessageParam]:
        system, user = load_prompt(kind, self.prompt_version)
        values = {
            "language": re.sub(r"[^a-z-]", "", language.lower())[:16] or "en",
            "language_name": language_name(language),
            "max_chars": str(max_chars),
            "count": str(len(items)),
            "papers_json": data_block(items),
        }
        return [
            {"role": "system", "content": system.substitute(values)},
            {"role": "user", "content": user.substitute(values)},
        ]

    def _complete(
        self, messages: list[ChatCompletionMessageParam], name: str, schema: dict[str, Any], deadline: float
    ) -> str | None:
        """One answer's content, retrying 429/5xx/timeouts within the deadline; None if unusable."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(openai.APIError),  # _attempt lets only retryable out
            wait=self._wait_before_retry,
            stop=lambda state: self._out_of_tries(state, deadline),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, messages, name, schema, deadline)
        except openai.APIError as exc:
            raise self._trip(exc) from exc

    def _attempt(
        self, messages: list[ChatCompletionMessageParam], name: str, schema: dict[str, Any], deadline: float
    ) -> str | None:
        """One request (two when the server lacks json_schema); raises only retryable API errors."""
        timeout = self._ready(deadline)
        try:
            return self._send(messages, name, schema, timeout)
        except openai.BadRequestError:
            if not self._use_schema:
                return None
            # Many OpenAI-compatible servers lack json_schema; json_object is the portable fallback.
            log.info("Server rejected response_format json_schema; using json_object")
            self._use_schema = False
            return self._attempt(messages, name, schema, deadline)
        except openai.APIError as exc:
            if _retryable(exc):
                raise
            if getattr(exc, "status_code", 0) in (401, 403, 404):  # key or model wrong: won't heal
                raise self._trip(exc) from exc
            log.warning("LLM request rejected: %s", exc)
            return None

    def _wait_before_retry(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After when it sent one, else 0.5, 1, 2 … s; never above max_retry_wait."""
        exc = state.outcome.exception() if state.outcome else None
        told = retry_after_seconds(exc) if isinstance(exc, Exception) else None
        return min(self.max_retry_wait, told or 0.5 * 2 ** (state.attempt_number - 1))

    def _out_of_tries(self, state: tenacity.RetryCallState, deadline: float) -> bool:
        """Give up after max_retries retries, or when the wait would run past the deadline."""
        return state.attempt_number > self.max_retries or self._clock() + state.upcoming_sleep >= deadline

    def _ready(self, deadline: float) -> float:
        """The timeout for the next request, or LLMUnavailable if none may be sent."""
        now = self._clock()
        if now < self._down_until:
            raise LLMUnavailable("the server failed recently; waiting before trying again")
        if self.budget.used_today() >= self.budget.limit:
            raise LLMUnavailable("the daily token budget is spent")
        if now >= deadline - 0.05:
            raise LLMUnavailable("out of time for this digest")
        return max(0.1, min(self.timeout, deadline - now))

    def _trip(self, exc: Exception) -> LLMUnavailable:
        """Stop sending for `cooldown` seconds: later batches and the briefing fall back at once."""
        self._down_until = self._clock() + self.cooldown
        log.warning(
            "LLM server unavailable (%s: %s); using extractive summaries", exc.__class__.__name__, exc
        )
        return LLMUnavailable(f"server error {exc.__class__.__name__}")

    def _send(
        self, messages: list[ChatCompletionMessageParam], name: str, schema: dict[str, Any], timeout: float
    ) -> str | None:
        response_format: completion_create_params.ResponseFormat = (
            {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
            if self._use_schema
            else {"type": "json_object"}
        )
        completion = self._client.chat.completions.create(
            model=self.model, messages=messages, response_format=response_format, timeout=timeout
        )
        content = completion.choices[0].message.content if completion.choices else None
        usage = completion.usage
        if usage is not None and usage.total_tokens:
            self.budget.add(usage.total_tokens)
        else:  # servers that omit usage: ~4 characters per token
            sent = sum(len(str(m.get("content", ""))) for m in messages)
            self.budget.add((sent + len(content or "")) // 4)
        return content
