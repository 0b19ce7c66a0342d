"""The scenario runner: order, outcomes, stop at the first failure naming step and account, summary table."""

import pytest

from mlops_demo.environments import default_environments, parse_environments
from mlops_demo.scenario import FAILED, NOT_RUN, SUCCEEDED, Scenario, Step, format_summary
from mlops_demo.steps import demo_steps
from pipelines.config import load_config
from pipelines.errors import DemoStepFailed, ExecutionFailed

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account


def _label(account: str) -> str:
    return {"dev": f"dev ({ACCOUNTS.dev})", "prod": f"prod ({ACCOUNTS.prod})"}.get(account, account)


def test_steps_run_in_order_and_record_their_results():
    calls = []
    scenario = Scenario([
        Step("first", "dev", "does one thing", lambda ctx: calls.append(("first", ctx)) or "one"),
        Step("second", "prod", "does another", lambda ctx: calls.append(("second", ctx)) or "two"),
    ])

    result = scenario.run("the context", _label)

    assert calls == [("first", "the context"), ("second", "the context")]
    assert result.succeeded
    assert [(o.name, o.account, o.status, o.result) for o in result.outcomes] == [
        ("first", f"dev ({ACCOUNTS.dev})", SUCCEEDED, "one"),
        ("second", f"prod ({ACCOUNTS.prod})", SUCCEEDED, "two"),
    ]


def test_a_failing_step_stops_the_run_names_step_and_account_and_keeps_the_exit_code():
    def fail(ctx):
        raise ExecutionFailed("pipeline mammo-train execution 42 ended Failed: AUC 0.6 below 0.75")

    ran_after = []
    scenario = Scenario([
        Step("ok", "dev", "", lambda ctx: "fine"),
        Step("train", "dev", "", fail),
        Step("later", "prod", "", lambda ctx: ran_after.append(1) or "never"),
    ])

    result = scenario.run(None, _label)

    assert not result.succeeded
    assert ran_after == []
    assert [o.status for o in result.outcomes] == [SUCCEEDED, FAILED, NOT_RUN]
    assert isinstance(result.error, DemoStepFailed)
    assert result.error.exit_code == ExecutionFailed.exit_code
    assert str(result.error) == (f"step 'train' in account dev ({ACCOUNTS.dev}) failed: "
                                 "pipeline mammo-train execution 42 ended Failed: AUC 0.6 below 0.75")
    assert result.outcome("train").result.startswith("pipeline mammo-train execution 42 ended Failed")


def test_an_unexpected_error_keeps_its_type_in_the_message_and_exits_1():
    def broken(ctx):
        return {}["ModelPackageArn"]

    result = Scenario([Step("lookup", "registry", "", broken)]).run(None)

    assert result.error.exit_code == 1
    assert "KeyError: 'ModelPackageArn'" in str(result.error)


def test_ctrl_c_is_recorded_as_interrupted_with_exit_code_130():
    def interrupted(ctx):
        raise KeyboardInterrupt

    result = Scenario([Step("slow", "prod", "", interrupted), Step("next", "prod", "", str)]).run(None)

    assert result.error.exit_code == 130
    assert result.outcome("slow").result == "interrupted"
    assert result.outcome("next").status == NOT_RUN


def test_step_names_must_be_unique():
    with pytest.raises(ValueError, match="repeated: twice"):
        Scenario([Step("twice", "dev", "", str), Step("twice", "prod", "", str)])


def test_summary_lists_every_step_with_account_status_and_result():
    def fail(ctx):
        raise ExecutionFailed("drift")

    result = Scenario([
        Step("train-v1", "dev", "", lambda ctx: "version 1 registered"),
        Step("inference", "prod", "", fail),
        Step("approve-v2", "registry", "", str),
    ]).run(None, _label)

    lines = format_summary(result).splitlines()

    assert lines[0].split() == ["#", "step", "account", "status", "seconds", "result"]
    assert lines[2].split()[:4] == ["1", "train-v1", "dev", f"({ACCOUNTS.dev})"]
    assert lines[2].endswith("version 1 registered")
    assert "FAILED" in lines[3]
    assert lines[3].endswith("drift")
    assert lines[4].split() == ["3", "approve-v2", "registry", "not", "run", "-"]
    assert lines[-1].endswith(f"stopped: step 'inference' in account prod ({ACCOUNTS.prod}) failed: drift")


def test_the_warehouse_option_trains_dev_from_the_warehouse_started_after_the_infrastructure(tmp_path):
    from mlops_demo.run import environments_with_engine
    from pipelines.config import load_config

    copies = environments_with_engine(None, tmp_path, "warehouse")
    assert load_config("dev", copies).workload.pipeline.training_data.source == "warehouse"
    assert load_config("prod", copies).workload.pipeline == load_config("prod").workload.pipeline
    walked = default_environments()
    names = [step.name for step in demo_steps(walked, "warehouse")]
    assert names[names.index("infrastructure") + 1] == "warehouse"
    assert "warehouse" not in [step.name for step in demo_steps(walked)]


def test_the_default_walks_the_promotions_first_and_last_with_the_steps_named_after_them():
    walked = default_environments()
    assert walked.names == ("dev", "prod")
    names = [step.name for step in demo_steps(walked)]
    assert names[:8] == ["local-stack", "infrastructure", "data-dev", "data-prod", "upsert-dev", "train-dev",
                         "approve-v1", "deploy-prod"]
    assert "retrain-prod" in names
    assert not [name for name in names if "staging" in name]


def test_each_environment_between_is_applied_then_serves_version_1_before_production():
    walked = parse_environments("dev,staging,prod")
    steps = demo_steps(walked)
    names = [step.name for step in steps]
    start = names.index("approve-v1") + 1
    assert names[start:start + 3] == ["deploy-staging", "endpoints-staging", "deploy-prod"]
    assert [step.account for step in steps if "staging" in step.name] == ["staging", "staging"]
    assert steps[names.index("infrastructure")].account == "registry, dev, staging, prod"
    assert names.count("deploy-prod") == 1
    assert {"train-dev", "retrain-prod"} <= set(names)


@pytest.mark.parametrize(("value", "message"), [
    ("prod,dev", "'prod,dev' is not in promotion order"),
    ("dev,prod,prod", "'dev,prod,prod' is not in promotion order"),
    ("dev", "'dev' names one environment"),
    ("dev,registry", "'registry' is not a workload environment of the promotion"),
    ("dev, Staging", "'Staging' is not a workload environment of the promotion"),
    ("staging,prod", "'staging,prod' starts with 'staging', not where models are trained"),
])
def test_the_environments_option_refuses_what_the_promotion_does_not_allow_with_exit_2(value, message, capsys):
    from mlops_demo import cli

    assert cli.main(["--environments", value]) == 2
    err = capsys.readouterr().err
    assert err == (f"mlops-demo: error: --environments: {message}: give at least two of dev,staging,prod, in that "
                   "order, starting with dev\n")
