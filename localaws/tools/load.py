"""Concurrent load on a running local stack, from outside (AWS APIs and the stack's read-back routes only): the
load test (tests/local_stack/test_load.py) and benchmark (benchmarks/stack_under_load.py) run the same work.

- `run_executions`: P one-step pipelines in each of several (account, region) pairs, every execution started at
  once from its own thread; waits for all to end and checks each is recorded once (ListPipelineExecutions) and
  each of its status-change events reached the pair's SNS topic once (an EventBridge rule on the default bus).
- `run_invocations`: InvokeEndpoint at a fixed rate for a duration on one endpoint (an XGBoost model trained here
  on random rows), each request from a pool of client threads; latencies and errors are kept.
- `server_figures`: the server's peak resident memory and thread count (Linux /proc), and its child processes.
"""

from __future__ import annotations

import io
import json
import statistics
import tarfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError

from localaws.tools.stack import advance_clock, call_route
from pipelines.aws import Target

STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
TERMINAL = ("Succeeded", "Failed", "Stopped")
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
FLEET_READY_SECONDS = 3.0  # the stack's (localaws.sagemaker_endpoints.deployments): advanced past, never slept
PAIRS = (("111111111111", "us-east-1"), ("222222222222", "us-east-1"), ("222222222222", "eu-west-1"),
         ("333333333333", "us-west-2"))
# A one-step pipeline that decides and ends: the executor's path without a container (a Condition, no branch).
ONE_STEP = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [{
    "Name": "Decide", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": 1, "RightValue": 0}],
        "IfSteps": [], "ElseSteps": []}}]})


@dataclass
class ExecutionRun:
    started: int
    seconds: float
    statuses: Counter
    duplicated_records: list[str]
    events_per_execution: dict[str, Counter]

    @property
    def per_minute(self) -> float:
        return self.started / self.seconds * 60

    def problems(self) -> list[str]:
        """What breaks the promise: an execution not Succeeded, recorded twice, or an event not delivered once."""
        found = [f"{count} execution(s) {status}" for status, count in self.statuses.items() if status != "Succeeded"]
        found += [f"recorded more than once: {arn}" for arn in self.duplicated_records]
        for arn, events in self.events_per_execution.items():
            if events.get("Succeeded") != 1 or any(count != 1 for count in events.values()):
                found.append(f"status-change events of {arn}: {dict(events)}")
        missing = self.started - len(self.events_per_execution)
        if missing:
            found.append(f"{missing} execution(s) with no status-change event")
        return found


def run_executions(endpoint: str, pipelines_per_pair: int = 5, pairs: tuple = PAIRS,
                   timeout: float = 300) -> ExecutionRun:
    target = Target(endpoint)
    topics = {}
    for account, region in pairs:
        session = target.session(account, region)
        topic = session.client("sns").create_topic(Name="load-status")["TopicArn"]
        events = session.client("events")
        events.put_rule(Name="load-status", EventPattern=json.dumps({"detail-type": [STATUS_CHANGE]}))
        events.put_targets(Rule="load-status", Targets=[{"Id": "topic", "Arn": topic}])
        _sagemaker_role(session, "load-pipeline")  # SageMaker assumes it; a Condition step calls nothing as it
        sagemaker = session.client("sagemaker")
        for number in range(pipelines_per_pair):
            sagemaker.create_pipeline(PipelineName=f"load-{number}", PipelineDefinition=ONE_STEP,
                                      RoleArn=f"arn:aws:iam::{account}:role/load-pipeline")
        topics[(account, region)] = topic
    jobs = [(account, region, f"load-{number}") for account, region in pairs for number in range(pipelines_per_pair)]
    barrier = threading.Barrier(len(jobs))
    clients = {(account, region): target.session(account, region).client("sagemaker") for account, region in pairs}

    def start(job: tuple[str, str, str]) -> str:
        account, region, name = job
        barrier.wait()  # all at once
        return clients[(account, region)].start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        arns = list(pool.map(start, jobs))
    statuses: Counter = Counter()
    for arn, (account, region, _name) in zip(arns, jobs, strict=True):
        statuses[_wait_for_end(clients[(account, region)], arn, began + timeout)] += 1
    seconds = time.perf_counter() - began
    duplicated = []
    for account, region, name in jobs:
        listed = [summary["PipelineExecutionArn"] for summary in clients[(account, region)].list_pipeline_executions(
            PipelineName=name)["PipelineExecutionSummaries"]]
        duplicated += [arn for arn, count in Counter(listed).items() if count > 1] + ([name] if not listed else [])
    events: dict[str, Counter] = {}
    for topic in topics.values():
        for notification in call_route(endpoint, "sns/notifications", query={"topic_arn": topic})["notifications"]:
            detail = json.loads(notification["message"])["detail"]
            events.setdefault(detail["pipelineExecutionArn"], Counter())[detail["currentPipelineExecutionStatus"]] += 1
    return ExecutionRun(len(arns), seconds, statuses, duplicated, events)


def _sagemaker_role(session, name: str, *statements: dict[str, Any]) -> str:
    """A role SageMaker may assume, allowed `statements` (the stack enforces IAM as AWS does); its ARN. Kept
    when it exists, so a second load run on the same stack reuses it."""
    iam = session.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="load", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    return arn


def _wait_for_end(sagemaker, arn: str, deadline: float) -> str:
    while True:
        status = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status in TERMINAL or time.perf_counter() > deadline:
            return status
        time.sleep(0.2)


# ------------------------------------------------------------------------------------------------ endpoints

@dataclass
class InvocationRun:
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def achieved_per_second(self) -> float:
        return (len(self.latencies) + len(self.errors)) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def serve_model(endpoint: str, account: str = "444444444444", region: str = "us-east-1", name: str = "load") -> str:
    """An InService endpoint `name` serving a small XGBoost model (10 features); its name."""
    import xgboost as xgb  # only the invocation load needs it

    rows = np.random.default_rng(7).random((200, 10), dtype=np.float32)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": 7},
                        xgb.DMatrix(rows, label=(rows[:, 0] > 0.5).astype(np.float32)), 20)
    raw = booster.save_raw("ubj")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    session = Target(endpoint).session(account, region)
    bucket = f"load-models-{account}"
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("s3").put_object(Bucket=bucket, Key="model.tar.gz", Body=archive.getvalue())
    role = _sagemaker_role(session, "load-endpoint", {
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/model.tar.gz"})
    sagemaker = session.client("sagemaker")
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=role,
                           PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{bucket}/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    advance_clock(endpoint, FLEET_READY_SECONDS)
    status = sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]
    if status != "InService":
        raise RuntimeError(f"the load endpoint is {status}, not InService")
    return name


def run_invocations(endpoint: str, name: str, rate: float, seconds: float, account: str = "444444444444",
                    region: str = "us-east-1", workers: int = 8) -> InvocationRun:
    """`rate` InvokeEndpoint requests a second for `seconds`, each sent at its scheduled time (or as soon as a
    worker is free: a slow server shows as a lower achieved rate and longer latencies, never as fewer requests)."""
    session = Target(endpoint).session(account, region)
    local = threading.local()
    body = ("\n".join(",".join(f"{v:.4f}" for v in row) for row in
                      np.random.default_rng(11).random((5, 10))) + "\n").encode()
    run = InvocationRun(rate, seconds)
    lock = threading.Lock()
    began = time.perf_counter()

    def invoke(number: int) -> None:
        delay = began + number / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if not hasattr(local, "runtime"):
            local.runtime = session.client("sagemaker-runtime")
        sent = time.perf_counter()
        try:
            answer = local.runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv")
            answer["Body"].read()
        except (ClientError, BotoCoreError) as error:  # every failure is a finding of the run, counted
            with lock:
                run.errors.append(f"{type(error).__name__}: {error}")
            return
        with lock:
            run.latencies.append(time.perf_counter() - sent)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(invoke, range(int(rate * seconds))))
    run.seconds = time.perf_counter() - began
    return run


# -------------------------------------------------------------------------------------------------- process

def server_figures(pid: int) -> dict[str, Any]:
    """Peak resident memory (bytes), current threads and the child process ids of the server (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {"peak_rss": int(fields["VmHWM"][0]) * 1024, "threads": int(fields["Threads"][0]),
            "children": [int(child) for child in children.read_text().split()] if children.exists() else []}
