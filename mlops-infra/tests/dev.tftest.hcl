# The dev account's plan with its real tfvars, on a mock provider (no AWS, no credentials):
#   terraform test -filter=tests/dev.tftest.hcl -var-file=../environments/dev.tfvars.json -var-file=<lambda_zip_dir json>
# Run by tests/terraform_static/test_terraform_tests.py (with workload.tftest.hcl for the module details).

mock_provider "aws" {
  # Generated values must be what the provider accepts: policies are JSON documents, ARNs name a partition.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

# The second region's provider configuration exists in every account (dev declares no second region).
mock_provider "aws" {
  alias = "secondary"
}

run "dev_gets_the_workload_modules_and_the_jenkins_role" {
  command = plan

  assert {
    condition     = var.environment == "dev"
    error_message = "run this file with -var-file=../environments/dev.tfvars.json"
  }

  assert {
    condition = alltrue([
      length(module.workload_kms) == 1, length(module.data_bucket) == 1, length(module.iam) == 1,
      length(module.notifications) == 1, length(module.pipeline_triggers) == 1, length(module.lambda) == 1, length(module.alerts) == 1,
      length(module.jenkins) == 1, length(module.warehouse_secret) == 1, length(module.serving) == 1,
    ])
    error_message = "dev must get the workload key, data bucket, roles, alert topic, pipeline triggers, Lambda, the warehouse secret, serving and the Jenkins role"
  }

  assert {
    condition     = length(module.registry_kms) == 0 && length(module.model_registry) == 0 && length(module.model_package_events) == 0
    error_message = "dev must not get the registry modules"
  }

  assert {
    condition = alltrue([for value in [
      output.model_package_group_arn, output.model_artifacts_bucket_name, output.registry_kms_key_arn,
    ] : value == null])
    error_message = "registry outputs must be null in dev"
  }

  assert {
    condition     = var.secondary_region == null && length(module.artifacts_replica) == 0 && output.artifacts_replica_bucket_name == null && output.artifacts_replication_role_arn == null
    error_message = "without secondary_region there is no replica and no replication"
  }

  assert {
    condition     = !var.workload.inference_schedule.enabled
    error_message = "the inference schedule stays disabled in dev: pipelines are started by hand there"
  }
}
