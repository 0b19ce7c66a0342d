# Bad input: for each validated variable, a malformed value fails the plan on that variable's validation.
# Every run starts from the real dev tfvars and breaks one field:
#   terraform test -filter=tests/validation.tftest.hcl -var-file=../environments/dev.tfvars.json -var-file=<lambda_zip_dir json>
# Run by tests/terraform_static/test_terraform_tests.py, which also checks each run is reported.
#
# The runs plan tests/variables, whose only file is a symlink to the root's variables.tf: the very same
# validation blocks, without the AWS provider (starting it for each of these runs would cost ~1 s each).
# tests/terraform_static also fails real plans of the root with malformed tfvars files.

run "the_dev_tfvars_are_valid" {
  command = plan

  module {
    source = "./tests/variables"
  }

  assert {
    condition     = var.environment == "dev"
    error_message = "run this file with -var-file=../environments/dev.tfvars.json"
  }
}

run "environment_name_with_upper_case" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment = "Staging"
  }

  expect_failures = [var.environment]
}

run "region_in_upper_case" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    aws_region = "US-EAST-1"
  }

  expect_failures = [var.aws_region]
}

run "project_name_with_underscore" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    project_name = "mammo_project"
  }

  expect_failures = [var.project_name]
}

run "account_id_too_short" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    accounts = merge(var.accounts, { tooling = "12345" })
  }

  expect_failures = [var.accounts]
}

run "account_id_with_letters" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    accounts = merge(var.accounts, { dev = "22222222222x" })
  }

  expect_failures = [var.accounts]
}

run "registry_and_dev_in_the_same_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    accounts = merge(var.accounts, { registry = var.accounts.dev })
  }

  expect_failures = [var.accounts]
}

run "state_bucket_with_upper_case" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    terraform_state_bucket = "Mammo-TFState"
  }

  expect_failures = [var.terraform_state_bucket]
}

run "model_package_group_with_underscore" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { model_package_group_name = "mammo_severity" })
  }

  expect_failures = [var.model_registry]
}

run "artifacts_bucket_too_short" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { artifacts_bucket_name = "ab" })
  }

  expect_failures = [var.model_registry]
}

run "access_log_bucket_equal_to_artifacts_bucket" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { access_log_bucket_name = var.model_registry.artifacts_bucket_name })
  }

  expect_failures = [var.model_registry]
}

run "registry_kms_alias_without_prefix" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { kms_alias = "mammo-model-artifacts" })
  }

  expect_failures = [var.model_registry]
}

run "registry_kms_alias_in_aws_namespace" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { kms_alias = "alias/aws/s3" })
  }

  expect_failures = [var.model_registry]
}

run "noncurrent_version_expiration_of_zero_days" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { noncurrent_version_expiration_days = 0 })
  }

  expect_failures = [var.model_registry]
}

run "noncurrent_version_expiration_of_half_a_day" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { noncurrent_version_expiration_days = 1.5 })
  }

  expect_failures = [var.model_registry]
}

run "no_approver_trusted" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { approver_trusted_principal_arns = [] })
  }

  expect_failures = [var.model_registry]
}

run "approver_trusted_account_root" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { approver_trusted_principal_arns = ["arn:aws:iam::${var.accounts.tooling}:root"] })
  }

  expect_failures = [var.model_registry]
}

run "approver_trusted_wildcard" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { approver_trusted_principal_arns = concat(var.model_registry.approver_trusted_principal_arns, ["arn:aws:iam::${var.accounts.tooling}:role/*"]) })
  }

  expect_failures = [var.model_registry]
}

run "approver_trusted_not_an_arn" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { approver_trusted_principal_arns = ["mammo-model-approvers"] })
  }

  expect_failures = [var.model_registry]
}

run "workload_missing_in_a_workload_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = null
  }

  expect_failures = [var.workload]
}

run "workload_set_in_the_registry_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment = "registry"
    promotion   = ["dev"]
    jenkins     = null
  }

  expect_failures = [var.workload]
}

run "data_bucket_with_underscore" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { data_bucket_name = "mammo_data" })
  }

  expect_failures = [var.workload]
}

run "workload_kms_alias_without_prefix" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { kms_alias = "mammo-workload" })
  }

  expect_failures = [var.workload]
}

run "pipeline_name_with_underscore" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { train_pipeline_name = "mammo_train" })
  }

  expect_failures = [var.workload]
}

run "train_and_inference_pipelines_with_one_name" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { inference_pipeline_name = upper(var.workload.train_pipeline_name) })
  }

  expect_failures = [var.workload]
}

run "function_name_with_space" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { latest_model_function_name = "latest model" })
  }

  expect_failures = [var.workload]
}

run "unknown_drift_check_engine" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { drift_check_engine = "clarify" }) })
  }

  expect_failures = [var.workload]
}

run "unknown_training_data_source" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { training_data = merge(var.workload.pipeline.training_data, { source = "lake" }) }) })
  }

  expect_failures = [var.workload]
}

run "warehouse_source_without_a_warehouse" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { training_data = { source = "warehouse" } }) })
  }

  expect_failures = [var.workload]
}

run "warehouse_date_that_is_no_date" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { training_data = merge(var.workload.pipeline.training_data, {
      warehouse = merge(var.workload.pipeline.training_data.warehouse, { start_date = "2024-01-01' OR '1'='1" })
    }) }) })
  }

  expect_failures = [var.workload]
}

run "alert_function_name_with_space" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { alert_function_name = "pipeline alert" })
  }

  expect_failures = [var.workload]
}

run "role_name_too_long" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { events_role_name = join("", [for i in range(65) : "r"]) })
  }

  expect_failures = [var.workload]
}

run "role_name_with_slash" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { sagemaker_execution_role_name = "team/sagemaker" })
  }

  expect_failures = [var.workload]
}

run "topic_name_with_dot" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { alert_topic_name = "mammo.alerts" })
  }

  expect_failures = [var.workload]
}

run "alert_email_without_domain" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { alert_email = "mlops-alerts" })
  }

  expect_failures = [var.workload]
}

run "schedule_that_is_not_cron_or_rate" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { inference_schedule = { expression = "every day at 6", enabled = false } })
  }

  expect_failures = [var.workload]
}

run "cron_with_five_fields" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { inference_schedule = { expression = "cron(0 6 * * ?)", enabled = false } })
  }

  expect_failures = [var.workload]
}

run "rate_of_zero" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { inference_schedule = { expression = "rate(0 days)", enabled = false } })
  }

  expect_failures = [var.workload]
}

run "instance_type_without_ml_prefix" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { training_instance_type = "m5.large" }) })
  }

  expect_failures = [var.workload]
}

run "instance_count_of_zero" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { processing_instance_count = 0 }) })
  }

  expect_failures = [var.workload]
}

run "auc_threshold_above_one" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { auc_threshold = 75 }) })
  }

  expect_failures = [var.workload]
}

run "unknown_model_approval_status" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { pipeline = merge(var.workload.pipeline, { model_approval_status = "Pending" }) })
  }

  expect_failures = [var.workload]
}

run "jenkins_without_a_workload" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    # jenkins keeps the dev tfvars' value
    environment = "registry"
    promotion   = ["dev"]
    workload    = null
  }

  expect_failures = [var.jenkins]
}

run "jenkins_role_name_with_space" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { role_name = "jenkins role" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_log_group_with_space" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { log_group_name = "jenkins log" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_retention_cloudwatch_rejects" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { log_retention_days = 42 })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_principal_is_the_tooling_account_root" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { principal_arn = "arn:aws:iam::${var.accounts.tooling}:root" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_principal_wildcard" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { principal_arn = "arn:aws:iam::${var.accounts.tooling}:role/*" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_principal_outside_the_tooling_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { principal_arn = "arn:aws:iam::${var.accounts.dev}:role/jenkins" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_external_id_of_one_character" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { external_id = "x" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_external_id_too_long" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    # 35 x 35 = 1225 characters (range() stops at 1024 values)
    jenkins = merge(var.jenkins, { external_id = join("", [for i in range(35) : "abcdefghijklmnopqrstuvwxyz012345678"]) })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_external_id_with_space" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { external_id = "mlops jenkins" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_apply_submitter_empty" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { apply_submitter = "" })
  }

  expect_failures = [var.jenkins]
}

run "jenkins_apply_submitter_with_an_empty_name" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    jenkins = merge(var.jenkins, { apply_submitter = "mlops-prod-approvers,,alice" })
  }

  expect_failures = [var.jenkins]
}

run "lambda_zip_dir_without_the_zips" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    lambda_zip_dir = "tests"
  }

  expect_failures = [var.lambda_zip_dir]
}

run "lambda_zip_missing_in_a_workload_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    lambda_zip_dir = null
  }

  expect_failures = [var.lambda_zip_dir]
}

# workload.serving: a few fields of the endpoints and of data capture, as pipelines/config/serving.py checks them.

run "serving_endpoint_mode_unknown" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [merge(var.workload.serving.endpoints[0], { mode = "serverless" })]
    }) })
  }

  expect_failures = [var.workload]
}

run "serving_traffic_step_for_all_at_once" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [merge(var.workload.serving.endpoints[0], { deployment = { strategy = "all-at-once", traffic_step_percent = 10, wait_interval_seconds = 0 } })]
    }) })
  }

  expect_failures = [var.workload]
}

run "serving_canary_without_traffic_step" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [merge(var.workload.serving.endpoints[0], { deployment = { strategy = "canary", traffic_step_percent = null, wait_interval_seconds = 300 } })]
    }) })
  }

  expect_failures = [var.workload]
}

run "serving_initial_count_above_max_capacity" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [merge(var.workload.serving.endpoints[0], { initial_instance_count = var.workload.serving.endpoints[0].autoscaling.max_capacity + 1 })]
    }) })
  }

  expect_failures = [var.workload]
}

run "serving_latency_threshold_zero" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [merge(var.workload.serving.endpoints[0], { alarms = { invocation_5xx_errors = 1, model_latency_ms = 0 } })]
    }) })
  }

  expect_failures = [var.workload]
}

run "serving_capture_sampling_above_100" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, { data_capture = merge(var.workload.serving.data_capture, { sampling_percent = 150 }) }) })
  }

  expect_failures = [var.workload]
}

run "serving_capture_prefix_with_leading_slash" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, { data_capture = merge(var.workload.serving.data_capture, { prefix = "/endpoint-capture" }) }) })
  }

  expect_failures = [var.workload]
}

run "serving_endpoint_named_twice" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    workload = merge(var.workload, { serving = merge(var.workload.serving, {
      endpoints = [var.workload.serving.endpoints[0], var.workload.serving.endpoints[0]]
    }) })
  }

  expect_failures = [var.workload]
}

run "secondary_region_in_another_region_is_valid" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      replicate_delete_markers      = true
    }
  }

  assert {
    condition     = var.secondary_region.region == "us-west-2" && var.secondary_region.replicate_delete_markers
    error_message = "a complete secondary_region must be accepted"
  }
}

run "secondary_region_equal_to_the_primary" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = var.aws_region
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_that_is_no_region_code" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "US-WEST-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_in_another_partition" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "cn-north-1"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_replica_bucket_named_as_the_artifacts_bucket" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = var.model_registry.artifacts_bucket_name
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_replica_bucket_with_upper_case" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "Mammo_Replica"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_replica_key_with_an_aws_reserved_alias" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/aws/s3"
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_endpoints_of_the_workload_are_valid" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      endpoints                     = ["mammo-severity"]
    }
  }

  assert {
    condition     = var.secondary_region.endpoints == tolist(["mammo-severity"])
    error_message = "a single-model endpoint of workload.serving must be accepted in secondary_region.endpoints"
  }
}

run "secondary_region_endpoints_with_replication_off" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = false
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      endpoints                     = ["mammo-severity"]
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_endpoint_that_is_multi_model" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      endpoints                     = ["mammo-severity-versions"]
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_endpoint_not_served" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      endpoints                     = ["mammo-severty"]
    }
  }

  expect_failures = [var.secondary_region]
}

run "secondary_region_endpoints_empty" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    secondary_region = {
      region                        = "us-west-2"
      replication_enabled           = true
      replica_artifacts_bucket_name = "mammo-model-artifacts-replica-111111111111"
      replica_kms_alias             = "alias/mammo-model-artifacts-replica"
      endpoints                     = []
    }
  }

  expect_failures = [var.secondary_region]
}

run "accounts_key_with_upper_case" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    accounts = merge(var.accounts, { "Pre Prod" = "555555555555" })
  }

  expect_failures = [var.accounts]
}

run "accounts_without_the_files_own_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    accounts = { tooling = var.accounts.tooling, registry = var.accounts.registry }
  }

  expect_failures = [var.accounts]
}

run "promotion_in_a_workload_file" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    promotion = ["dev"]
  }

  expect_failures = [var.promotion]
}

run "promotion_naming_an_environment_without_an_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment = "registry"
    workload    = null
    jenkins     = null
    promotion   = ["dev", "qa"]
  }

  expect_failures = [var.promotion]
}

run "promotion_leaving_out_an_account" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment = "registry"
    workload    = null
    jenkins     = null
    accounts    = merge(var.accounts, { qa = "555555555555" })
    promotion   = ["dev"]
  }

  expect_failures = [var.promotion]
}

run "auto_approving_the_first_environment_of_the_promotion" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment    = "registry"
    workload       = null
    jenkins        = null
    accounts       = merge(var.accounts, { staging = "444444444444" })
    promotion      = ["dev", "staging"]
    model_registry = merge(var.model_registry, { auto_approving_environments = ["dev"] })
  }
}

run "auto_approving_a_later_stage" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment    = "registry"
    workload       = null
    jenkins        = null
    accounts       = merge(var.accounts, { staging = "444444444444" })
    promotion      = ["dev", "staging"]
    model_registry = merge(var.model_registry, { auto_approving_environments = ["staging"] })
  }

  expect_failures = [var.model_registry]
}

run "auto_approving_an_environment_not_in_the_promotion" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    environment    = "registry"
    workload       = null
    jenkins        = null
    promotion      = ["dev"]
    model_registry = merge(var.model_registry, { auto_approving_environments = ["qa"] })
  }

  expect_failures = [var.model_registry]
}

run "auto_approving_environments_in_a_workload_file" {
  command = plan

  module {
    source = "./tests/variables"
  }

  variables {
    model_registry = merge(var.model_registry, { auto_approving_environments = ["dev"] })
  }

  expect_failures = [var.model_registry]
}
