"""The README's layout table matches the tree, and docs/README.md indexes every document."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ROW_PATHS = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def layout_paths(readme: str) -> list[str]:
    """The paths in the first column of the README's Layout table."""
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [path for row in rows for path in ROW_PATHS.findall(row.split(" | ", 1)[0])]


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_every_top_level_folder_git_tracks_is_in_the_layout_table():
    listed = {path.split("/", 1)[0] for path in layout_paths((REPO_ROOT / "README.md").read_text())}
    folders = {path.split("/", 1)[0] for path in tracked_files() if "/" in path}
    assert sorted(folders - listed) == [], "add them to the Layout table of README.md"


def test_every_path_in_the_layout_table_exists():
    paths = layout_paths((REPO_ROOT / "README.md").read_text())
    assert len(paths) > 10
    missing = [path for path in paths if not list(REPO_ROOT.glob(path.rstrip("/")))]
    assert missing == [], "the Layout table of README.md names paths that do not exist"


def test_the_docs_index_lists_every_document_and_links_only_what_exists():
    index = REPO_ROOT / "docs" / "README.md"
    text = index.read_text()
    linked = {(index.parent / target).resolve() for target in LINK.findall(text)}
    assert [str(path) for path in linked if not path.exists()] == []
    documents = {(REPO_ROOT / path).resolve() for path in tracked_files()
                 if path.endswith(".md") and not path.startswith("mlops-infra/modules/")} - {index}
    assert sorted(str(path.relative_to(REPO_ROOT)) for path in documents - linked) == [], "add them to docs/README.md"
    assert "`mlops-infra/modules/<module>/README.md`" in text  # the module READMEs, by their pattern


def test_every_document_is_linked_from_another():
    """A document nobody links to is never found: each is linked from another one besides the index."""
    documents = [REPO_ROOT / path for path in tracked_files() if path.endswith(".md")]
    linked = set()
    for document in documents:
        if document == REPO_ROOT / "docs" / "README.md":
            continue
        linked |= {(document.parent / target).resolve() for target in LINK.findall(document.read_text())}
    orphans = [str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "docs").glob("*.md")
               if path.name != "README.md" and path.resolve() not in linked]
    assert orphans == []


def test_the_readme_names_every_exit_code_of_the_one_table():
    from pipelines.errors import EXIT_CODES

    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    sentence = readme[readme.index("Exit codes, one meaning each"):]
    sentence = sentence[:sentence.index(").", sentence.index("130")) + 2]
    named = [int(code) for code in re.findall(r"(?<![\w-])(\d{1,3}) (?=[A-Za-z`])", sentence)]
    assert sorted(named) == sorted(EXIT_CODES), sentence
