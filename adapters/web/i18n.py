"""The lab page's interface strings in English and Chinese (paper text stays as published)."""

from __future__ import annotations

LANGUAGES = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Academic Intelligence · Curated Daily",
        "channel": "Channel",
        "radar": "Radar",
        "no_rules": "No radar yet: add rules from chat with /papers subscribe cat:cs.LG.",
        "my_radar": "My radar",
        "no_rules_me": "No radar of your own yet: add rules from chat with /papers subscribe --me cat:cs.LG.",
        "only_you": "Only you see your radar; its papers come to you by direct message.",
        "no_archive_me": "No digest has been sent to you yet.",
        "remove_rule": "Remove this rule",
        "query": "Any /papers query",
        "query_placeholder": 'author:"Philipp Grohs" cat:math.NA',
        "go": "Search",
        "clear": "Back to the day's digest",
        "briefing": "The day's briefing",
        "preview": "Not posted yet: what the radar picks now.",
        "another_batch": "Another batch",
        "no_more": "That was the last batch.",
        "no_papers": "No papers here.",
        "results_for": "Results for",
        "tldr": "TL;DR",
        "abstract": "Abstract",
        "pdf": "PDF",
        "save": "Save",
        "saved": "Saved",
        "date": "Day",
        "show_day": "Show",
        "calendar": "arXiv's calendar",
        "archive": "Past digests",
        "no_archive": "No digest has been posted in this channel yet.",
        "papers": "papers",
        "reading_list": "Your reading list",
        "empty_list": "Empty: press Save on a paper, or react 🔖 in a digest thread.",
        "download": "Download",
        "signed_in_as": "Signed in as",
        "sign_out": "Sign out",
        "sign_in_title": "Sign in to the lab page",
        "sign_in_help": (
            "Type /papers web in Slack or Discord: AcademicHub answers (only to you) with a personal "
            "link that signs you in for 30 days. The link itself works for 15 minutes."
        ),
        "no_channels": "Your workspace has no channel with a radar yet: start one with /papers subscribe.",
        "no_such_channel": "There is no such channel in your workspace.",
        "bad_date": "“{value}” is not a date (YYYY-MM-DD, e.g. 2026-06-16): showing {day}.",
        "language": "中文",
        "matched": "on your radar",
        "journal": "journal",
    },
    "zh": {
        "title": "学术情报 · 每日精选",
        "channel": "频道",
        "radar": "雷达",
        "no_rules": "尚无雷达规则：在聊天中用 /papers subscribe cat:cs.LG 添加。",
        "my_radar": "我的雷达",
        "no_rules_me": "你还没有个人雷达：在聊天中用 /papers subscribe --me cat:cs.LG 添加。",
        "only_you": "只有你能看到你的雷达；论文会通过私信发给你。",
        "no_archive_me": "尚未向你发送过精选。",
        "remove_rule": "删除此规则",
        "query": "任意 /papers 查询",
        "query_placeholder": 'author:"Philipp Grohs" cat:math.NA',
        "go": "搜索",
        "clear": "回到当日精选",
        "briefing": "今日简报",
        "preview": "尚未发布：雷达当前的选择。",
        "another_batch": "换一批",
        "no_more": "已是最后一批。",
        "no_papers": "这里没有论文。",
        "results_for": "查询结果",
        "tldr": "要点",
        "abstract": "摘要",
        "pdf": "PDF",
        "save": "收藏",
        "saved": "已收藏",
        "date": "日期",
        "show_day": "查看",
        "calendar": "arXiv 日历",
        "archive": "往期精选",
        "no_archive": "本频道尚未发布过精选。",
        "papers": "篇论文",
        "reading_list": "我的阅读列表",
        "empty_list": "空：点击论文的“收藏”，或在精选话题中用 🔖 回应。",
        "download": "下载",
        "signed_in_as": "当前用户",
        "sign_out": "退出",
        "sign_in_title": "登录实验室页面",
        "sign_in_help": (
            "在 Slack 或 Discord 中输入 /papers web：AcademicHub 会私下回复一个个人链接，"
            "登录后 30 天有效。链接本身 15 分钟内有效。"
        ),
        "no_channels": "你的工作区还没有设置雷达的频道：用 /papers subscribe 开始。",
        "no_such_channel": "你的工作区中没有这个频道。",
        "bad_date": "“{value}”不是日期（格式 YYYY-MM-DD，例如 2026-06-16）：显示 {day}。",
        "language": "English",
        "matched": "雷达命中",
        "journal": "期刊",
    },
}


def pick_language(requested: str | None, channel_language: str | None, default: str) -> str:
    """`?lang=` first, then the channel's language, then the server's; Chinese variants are zh."""
    for code in (requested, channel_language, default):
        if code:
            primary = code.split("-")[0].lower()
            if primary in LANGUAGES:
                return primary
    return "en"
