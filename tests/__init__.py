"""AcademicHub's tests; the real captured fixtures they read live in tests/fixtures."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
