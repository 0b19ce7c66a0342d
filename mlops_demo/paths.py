"""Where the demo writes by default, inside the checkout it runs in."""

from pipelines.config import REPO_ROOT

DEFAULT_REPORT = REPO_ROOT / "reports" / "demo-report.html"
DEFAULT_WORK_DIR = REPO_ROOT / ".local" / "demo"
