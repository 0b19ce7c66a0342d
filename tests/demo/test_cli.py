"""`mlops-demo` bad paths, in-process: a clear message naming the step and account, the right exit code."""

import pytest

from localaws.tools.stack import free_loopback_port
from mlops_demo import cli
from pipelines.errors import LocalStackError, UsageError


def test_an_endpoint_where_no_stack_answers_stops_at_the_first_step_with_exit_code_5(tmp_path, capsys):
    endpoint = f"http://127.0.0.1:{free_loopback_port()}"

    status = cli.main(["--endpoint", endpoint, "--report", str(tmp_path / "report.html"),
                       "--work-dir", str(tmp_path / "work")])

    assert status == LocalStackError.exit_code
    out, err = capsys.readouterr()
    assert f"mlops-demo: error: step 'local-stack' in account local failed: no local stack answers at {endpoint}" \
        in err
    # The summary is still printed, every later step shown as not run, and the partial report is written.
    assert "not run" in out
    assert (tmp_path / "report.html").is_file()


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--no-such-option"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_reuse_applied_without_an_endpoint_is_a_usage_error_that_starts_nothing(tmp_path, capsys):
    status = cli.main(["--reuse-applied", "--report", str(tmp_path / "report.html"),
                       "--work-dir", str(tmp_path / "work")])

    assert status == UsageError.exit_code
    out, err = capsys.readouterr()
    assert err.strip() == ("mlops-demo: error: --reuse-applied needs --endpoint: a stack the demo starts holds no "
                           "applied account")
    assert out == ""
    assert not (tmp_path / "work").exists()
    assert not (tmp_path / "report.html").exists()
