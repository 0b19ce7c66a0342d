"""The train pipeline: preprocess -> XGBoost -> evaluate -> AUC gate -> data-quality baseline + register.

The data-quality baseline runs on the environment's drift-check engine (`workload.pipeline.drift_check_engine`):
`model-monitor`, a QualityCheckStep on the Model Monitor analyzer image; or `processing`, a ProcessingStep on the
scikit-learn image running the project's analyzer script (pipelines/monitoring/data_quality.py). Both write
statistics.json and constraints.json in Model Monitor's formats, and the registered package records them as its
ModelDataQuality metrics and DriftCheckBaselines, so either engine can check against a version registered by the
other.

Registered model packages go to the CENTRAL model package group (by ARN) and everything they reference
(model.tar.gz, evaluation.json, baseline statistics and constraints) to the central artifacts bucket under
`<environment>/`, encrypted with the registry key, so prod can use a version trained in dev. Intermediate
data stays in the workload data bucket under the workload key.

        parameters=parameters,
        steps=[*data_steps, *steps],
"""

from __future__ import annotations

from pathlib import Path

from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.model_monitor.dataset_format import DatasetFormat
from sagemaker.core.network import NetworkConfig
from sagemaker.core.processing import FrameworkProcessor, ScriptProcessor
from sagemaker.core.shapes import StoppingCondition
from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
from sagemaker.core.utils import install_requirements
from sagemaker.core.workflow.conditions import ConditionEquals, ConditionGreaterThan
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep
from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep, TuningStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.model_trainer import ModelTrainer

from pipelines.config import MODEL_MONITOR, WAREHOUSE_SOURCE, EnvConfig, load_config, workload_environments
from pipelines.definitions import (
    CodeAsset,
    artifacts_uri,
    code_asset,
    data_uri,
    definition_session,
    execution_prefix,
    processing_input,
    processing_output,
    processing_path,
    sklearn_image,
    source_dir_asset,
    xgboost_image,
)
from pipelines.sdk_quiet import MODEL_BUILDER_LOG_LEVEL, offline_sdk
from pipelines.train import tuning

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
PREPROCESS_SCRIPT = SCRIPTS_DIR / "preprocess.py"
EVALUATE_SCRIPT = SCRIPTS_DIR / "evaluate.py"
DATA_QUALITY_SCRIPT = Path(__file__).resolve().parent.parent / "monitoring" / "data_quality.py"
EXTRACT_SOURCE_DIR = SCRIPTS_DIR / "extract"
EXTRACT_SCRIPT = "extract.py"
INSTALL_REQUIREMENTS = Path(install_requirements.__file__)

STEP_EXTRACT = "ExtractTrainingData"
STEP_PREPROCESS = "PreprocessData"
STEP_TRAIN = "TrainModel"
STEP_EVALUATE = "EvaluateModel"
STEP_CONDITION = "CheckAucScore"
STEP_BASELINE = "DataQualityBaseline"
STEP_REGISTER = "SeverityModel"  # SDK v2 named the step "SeverityModel-RegisterModel" in the definition
STEP_FAIL = "AucBelowThreshold"
STEP_TUNE = "TuneModel"
STEP_WARM_START = "WarmStartFromParent"
WARM_START_SUFFIX = "-WarmStart"  # the warm-start branch's steps: STEP_TUNE + WARM_START_SUFFIX ...
AUC_JSON_PATH = "classification_metrics.auc.value"
HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "num_round": "100",
    "max_depth": "3",
    "eta": "0.2",
    "subsample": "0.8",
    "min_child_weight": "1",
    "early_stopping_rounds": "10",
    "seed": "42",
}


def code_assets(config: EnvConfig) -> list[CodeAsset]:
    """The scripts the definition references; the data-quality analyzer only on the processing engine."""
    scripts = [PREPROCESS_SCRIPT, EVALUATE_SCRIPT]
    if config.require_workload().pipeline.drift_check_engine != MODEL_MONITOR:
        scripts.append(DATA_QUALITY_SCRIPT)
    return [code_asset(config, script) for script in scripts] + extract_code_assets(config)


def extract_code_assets(config: EnvConfig) -> list[CodeAsset]:
    """The warehouse source's sourcedir.tar.gz and the runproc.sh FrameworkProcessor would upload for it.

    The bundle also holds the SDK's install_requirements.py, which v3's runproc.sh runs from the code folder to
    install requirements.txt (the SDK uploads it beside the bundle; here it travels inside it)."""
    if config.require_workload().pipeline.training_data.source != WAREHOUSE_SOURCE:
        return []
    processor = _extract_processor(config, None, config.require_workload().pipeline.processing_instance_type)
    runproc = processor._generate_framework_script(EXTRACT_SCRIPT)
    return [source_dir_asset(config, EXTRACT_SOURCE_DIR, extra={"install_requirements.py": INSTALL_REQUIREMENTS}),
            code_asset(config, EXTRACT_SOURCE_DIR, "runproc.sh", runproc.encode())]


def _extract_processor(config: EnvConfig, role, instance_type, session=None) -> FrameworkProcessor:
    warehouse = config.require_workload().pipeline.training_data.warehouse
    network = (NetworkConfig(subnets=list(warehouse.subnet_ids), security_group_ids=list(warehouse.security_group_ids))
               if warehouse.subnet_ids else None)
    workload_key = config.workload_kms_alias_arn
    return FrameworkProcessor(
        image_uri=sklearn_image(config),
        command=["python3"], role=role or config.sagemaker_execution_role_arn, instance_type=instance_type,
        instance_count=1, volume_kms_key=workload_key, output_kms_key=workload_key, network_config=network,
        sagemaker_session=session or definition_session(config),
    )


def training_data(config: EnvConfig, session, role: str, processing_type) -> tuple[list, list, object]:
    """(steps, parameters, the S3 URI preprocess reads): the InputDataUri parameter, or the warehouse extract
    step and its output with DataStartDate/DataEndDate."""
    input_data = ParameterString("InputDataUri", default_value=data_uri(config, "data", "train", "part1/"))
    source = config.require_workload().pipeline.training_data
    if source.source != WAREHOUSE_SOURCE:
        return [], [input_data], input_data
    warehouse = source.warehouse
    start = ParameterString("DataStartDate", default_value=warehouse.start_date)
    end = ParameterString("DataEndDate", default_value=warehouse.end_date)
    bundle, runproc = extract_code_assets(config)
    workload = config.require_workload()
    output = processing_path("output")
    extract = ProcessingStep(
        name=STEP_EXTRACT,
        # `code` given as the runproc.sh already uploaded: the SDK uploads nothing; the bundle is the code input.
        step_args=_extract_processor(config, role, processing_type, session).run(
            code=runproc.s3_uri,
            inputs=[processing_input("code", bundle.s3_uri, processing_path("input", "code") + "/")],
            outputs=[processing_output("raw", output, execution_prefix(
                data_uri(config, "pipelines", workload.train_pipeline_name), "extract"))],
            arguments=["--secret-id", warehouse.secret_name, "--table", warehouse.table,
                       "--start-date", start, "--end-date", end, "--output-dir", output],
        ),
    )
    return [extract], [input_data, start, end], extract.properties.ProcessingOutputConfig.Outputs["raw"].S3Output.S3Uri


def build(config: EnvConfig, role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """The train pipeline of one workload environment. Pure: no AWS call."""
    with offline_sdk(config.aws_region):
        return _build(config, role, pipeline_name)


def _build(config: EnvConfig, role: str | None, pipeline_name: str | None) -> Pipeline:
    workload = config.require_workload()
    settings = workload.pipeline
    session = definition_session(config)
    role = role or config.sagemaker_execution_role_arn
    workload_key = config.workload_kms_alias_arn
    registry_key = config.model_artifacts_kms_alias_arn
    preprocess_code, evaluate_code, *analyzer_code = code_assets(config)

    processing_type = ParameterString("ProcessingInstanceType", default_value=settings.processing_instance_type)
    data_steps, data_parameters, input_data = training_data(config, session, role, processing_type)
    processing_count = ParameterInteger("ProcessingInstanceCount", default_value=settings.processing_instance_count)
    training_type = ParameterString("TrainingInstanceType", default_value=settings.training_instance_type)
    approval_status = ParameterString("ModelApprovalStatus", default_value=settings.model_approval_status)
    auc_threshold = ParameterFloat("AucScoreThreshold", default_value=settings.auc_threshold)

    work = data_uri(config, "pipelines", workload.train_pipeline_name)
    processor = ScriptProcessor(
        image_uri=sklearn_image(config), command=["python3"], role=role,
        instance_type=processing_type, instance_count=processing_count,
        volume_kms_key=workload_key, output_kms_key=workload_key, sagemaker_session=session,
    )
    split_outputs = ("train", "validation", "test", "baseline")
    preprocess = ProcessingStep(
        name=STEP_PREPROCESS,
        step_args=processor.run(
            code=preprocess_code.s3_uri,
            inputs=[processing_input("raw", input_data, processing_path("input", "raw"))],
            outputs=[processing_output(name, processing_path(name), execution_prefix(work, "preprocess", name))
                     for name in split_outputs],
            arguments=["--input-dir", processing_path("input", "raw"),
                       *[arg for name in split_outputs for arg in (f"--{name}-dir", processing_path(name))]],
        ),
    )

    def split_uri(name: str):
        return preprocess.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri

    trainer = ModelTrainer(
        training_image=xgboost_image(config), role=role, sagemaker_session=session,
        compute=Compute(instance_type=training_type, instance_count=1, volume_kms_key_id=workload_key),
        output_data_config=OutputDataConfig(s3_output_path=artifacts_uri(config, "models"), kms_key_id=registry_key),
        # Explicit: v3's default is 3600 s (v2's was 86400 s).
        stopping_condition=StoppingCondition(max_runtime_in_seconds=settings.training_max_runtime_seconds),
        hyperparameters=HYPERPARAMETERS if settings.tuning is None else
        tuning.static_hyperparameters(HYPERPARAMETERS, settings.tuning),
    )
    training_inputs = [InputData(channel_name=name, data_source=split_uri(name), content_type="text/csv")
                       for name in ("train", "validation")]

    def after_training(model_data, suffix: str = "", tune: TuningStep | None = None) -> list:
        """Evaluate the trained model, then the AUC gate: baseline and register (recording the tuning job), or
        fail. `suffix` names the steps of the warm-start branch apart."""
        evaluation_report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
        evaluation_destination = execution_prefix(artifacts_uri(config, "evaluation"))
        evaluator = ScriptProcessor(
            image_uri=xgboost_image(config), command=["python3"], role=role,
            instance_type=processing_type, instance_count=1,
            volume_kms_key=workload_key, output_kms_key=registry_key, sagemaker_session=session,
        )
        evaluate = ProcessingStep(
            name=STEP_EVALUATE + suffix,
            step_args=evaluator.run(
                code=evaluate_code.s3_uri,
                inputs=[processing_input("model", model_data, processing_path("model")),
                        processing_input("test", split_uri("test"), processing_path("test"))],
                outputs=[processing_output("evaluation", processing_path("evaluation"), evaluation_destination)],
                arguments=["--model-dir", processing_path("model"), "--test-dir", processing_path("test"),
                           "--output-dir", processing_path("evaluation")],
            ),
            property_files=[evaluation_report],
        )
        auc = JsonGet(step_name=evaluate.name, property_file=evaluation_report, json_path=AUC_JSON_PATH)

        baseline_destination = execution_prefix(artifacts_uri(config, "baselines"))
        if settings.drift_check_engine == MODEL_MONITOR:
            baseline = QualityCheckStep(
                name=STEP_BASELINE + suffix,
                quality_check_config=DataQualityCheckConfig(
                    baseline_dataset=split_uri("baseline"),
                    # Batch-transform input has no header; the baseline must name its columns the same way.
                    dataset_format=DatasetFormat.csv(header=False),
                    output_s3_uri=baseline_destination,
                ),
                check_job_config=CheckJobConfig(
                    role=role, instance_count=1, instance_type=processing_type,
                    volume_kms_key=workload_key, output_kms_key=registry_key, sagemaker_session=session,
                ),
                skip_check=True,
                register_new_baseline=True,
                model_package_group_name=config.model_package_group_arn,
            )
            quality = baseline.properties
            calculated = (quality.CalculatedBaselineStatistics, quality.CalculatedBaselineConstraints)
            drift_check = (quality.BaselineUsedForDriftCheckStatistics, quality.BaselineUsedForDriftCheckConstraints)
        else:
            analyzer = ScriptProcessor(
                image_uri=sklearn_image(config), command=["python3"], role=role,
                instance_type=processing_type, instance_count=1,
                volume_kms_key=workload_key, output_kms_key=registry_key, sagemaker_session=session,
            )
            baseline = ProcessingStep(
                name=STEP_BASELINE + suffix,
                step_args=analyzer.run(
                    code=analyzer_code[0].s3_uri,
                    inputs=[processing_input("dataset", split_uri("baseline"), processing_path("input", "baseline"))],
                    outputs=[processing_output("baseline", processing_path("baseline"), baseline_destination)],
                    arguments=["baseline", "--dataset", processing_path("input", "baseline"),
                               "--output-dir", processing_path("baseline")],
                ),
            )
            # A new baseline is both what this run calculated and what later checks use (skip_check, register_new).
            calculated = drift_check = tuple(Join(on="/", values=[baseline_destination, name])
                                             for name in ("statistics.json", "constraints.json"))
        model_metrics = ModelMetrics(
            model_statistics=MetricsSource(
                s3_uri=Join(on="/", values=[evaluation_destination, "evaluation.json"]),
                content_type="application/json"),
            model_data_statistics=MetricsSource(s3_uri=calculated[0], content_type="application/json"),
            model_data_constraints=MetricsSource(s3_uri=calculated[1], content_type="application/json"),
        )
        drift_check_baselines = DriftCheckBaselines(
            model_data_statistics=MetricsSource(s3_uri=drift_check[0], content_type="application/json"),
            model_data_constraints=MetricsSource(s3_uri=drift_check[1], content_type="application/json"),
        )
        # No entry point: with one, ModelStep adds a repack step named with random hex that uploads while building.
        model = ModelBuilder(image_uri=xgboost_image(config), s3_model_data_url=model_data, role_arn=role,
                             sagemaker_session=session, log_level=MODEL_BUILDER_LOG_LEVEL)
        registration = model.register(
            content_types=["text/csv"], response_types=["text/csv"],
            inference_instances=[settings.transform_instance_type],
            transform_instances=[settings.transform_instance_type],
            model_package_group_name=config.model_package_group_arn,
            approval_status=approval_status,
            model_metrics=model_metrics,
            drift_check_baselines=drift_check_baselines,
            description=f"Mammographic mass severity (XGBoost), trained in {config.environment}",
            customer_metadata_properties=None if tune is None else {
                tuning.TUNING_JOB_PROPERTY: tune.properties.HyperParameterTuningJobName,
                tuning.TUNING_JOB_ARN_PROPERTY: tune.properties.HyperParameterTuningJobArn},
        )
        # v3 writes its script-mode entries even for a model without a script: the built-in XGBoost container takes
        # an empty SAGEMAKER_PROGRAM for a user module to import (only an absent one means algorithm mode), and an
        # endpoint serving the version would fail to start. The empty entries are left out.
        for container in registration.create_model_package_request["InferenceSpecification"]["Containers"]:
            container["Environment"] = {name: value for name, value in container.get("Environment", {}).items()
                                        if value != ""}
        register = ModelStep(name=STEP_REGISTER + suffix, step_args=registration, depends_on=[baseline])
        fail = FailStep(
            name=STEP_FAIL + suffix,
            error_message=Join(on=" ", values=["AUC", auc, "is not above the threshold", auc_threshold]),
        )
        gate = ConditionStep(
            name=STEP_CONDITION + suffix,
            conditions=[ConditionGreaterThan(left=auc, right=auc_threshold)],
            if_steps=[baseline, register],
            else_steps=[fail],
        )
        return [evaluate, gate]

    parameters = [data_parameters[0], processing_type, processing_count, training_type, approval_status,
                  auc_threshold, *data_parameters[1:]]
    if settings.tuning is None:
        train = TrainingStep(name=STEP_TRAIN, step_args=trainer.train(training_inputs))
        steps = [preprocess, train, *after_training(train.properties.ModelArtifacts.S3ModelArtifacts)]
    else:
        parent = ParameterString(tuning.PARENT_PARAMETER, default_value=tuning.NO_PARENT)
        parameters.append(parent)
        models = artifacts_uri(config, "models").removeprefix("s3://").split("/", 1)
        branches = []
        for suffix, warm_start_from in (("", None), (WARM_START_SUFFIX, parent)):
            tune = tuning.tuning_step(STEP_TUNE + suffix, tuning.tuner(
                trainer, settings.tuning, warm_start_from).tune(training_inputs), workload_key)
            branches.append([tune, *after_training(tune.get_top_model_s3_uri(0, *models), suffix, tune)])
        steps = [preprocess, ConditionStep(
            name=STEP_WARM_START, conditions=[ConditionEquals(left=parent, right=tuning.NO_PARENT)],
            if_steps=branches[0], else_steps=branches[1])]
    return Pipeline(
        name=pipeline_name or workload.train_pipeline_name,
        parameters=parameters,
        steps=[*data_steps, *steps],
        # No SageMaker Experiments tracking: it needs extra permissions and nothing reads it.
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )


def get_pipeline(env: str | None = None, role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """Sample-compatible entry point (`--module-name pipelines.train.pipeline --kwargs '{...}'`)."""
    # Default: the first environment of the promotion, where models are trained first.
    return build(load_config(env or workload_environments()[0]), role=role, pipeline_name=pipeline_name)
