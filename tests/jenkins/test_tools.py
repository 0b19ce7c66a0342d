"""The Jenkins tests' tools: a missing groovy or jenkins-jobs skips with the reason, or fails under
MLOPS_REQUIRE_ALL_TOOLS=1 (as in CI); Groovy finds a Java even where Debian's default-java link is missing."""

from __future__ import annotations

import pytest
from jenkins_harness import java_home


@pytest.mark.parametrize("tool", ["groovy", "jenkins-jobs"])
def test_a_missing_tool_skips_with_its_reason_or_fails_when_all_are_required(require_tool, monkeypatch, tmp_path,
                                                                            tool):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MLOPS_REQUIRE_ALL_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"{tool} is not installed"):
        require_tool(tool)
    monkeypatch.setenv("MLOPS_REQUIRE_ALL_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="MLOPS_REQUIRE_ALL_TOOLS=1 forbids skipping"):
        require_tool(tool)


def test_java_home_comes_from_the_java_on_path_when_java_home_is_unusable(monkeypatch, tmp_path):
    jdk = tmp_path / "jvm" / "java-17"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "java").write_text("#!/bin/sh\n")
    (jdk / "bin" / "java").chmod(0o755)
    path_dir = tmp_path / "bin"
    path_dir.mkdir()
    (path_dir / "java").symlink_to(jdk / "bin" / "java")  # as /usr/bin/java -> /etc/alternatives/... -> the JDK
    monkeypatch.setenv("PATH", str(path_dir))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "missing"))
    assert java_home() == str(jdk)

    monkeypatch.setenv("JAVA_HOME", str(jdk))
    assert java_home() == str(jdk)

    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert java_home() is None
