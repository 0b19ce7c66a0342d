# The prod account's plan with its real tfvars, on a mock provider (no AWS, no credentials):
#   terraform test -filter=tests/prod.tftest.hcl -var-file=../environments/prod.tfvars.json -var-file=<lambda_zip_dir json>
# Run by tests/terraform_static/test_terraform_tests.py (with workload.tftest.hcl for the module details).

# Policies are rendered by the real provider: aws_iam_policy_document and aws_partition need no AWS, and a
# plan without state reads nothing remote, so runs that read policies plan with offline, fake credentials.
provider "aws" {
  region                      = var.aws_region
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# The same in the second region, for the secondary-region serving module.
provider "aws" {
  alias                       = "secondary_offline"
  region                      = var.secondary_region.region
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# The whole root plans on the mock provider (no credentials, no account check).
mock_provider "aws" {
  alias = "mock"

  # Generated values must be what the provider accepts: policies are JSON documents, ARNs name a partition.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

run "prod_gets_the_workload_modules_and_jenkins" {
  command = plan
  providers = {
    aws           = aws.mock
    aws.secondary = aws.mock
  }

  assert {
    condition     = var.environment == "prod"
    error_message = "run this file with -var-file=../environments/prod.tfvars.json"
  }

  assert {
    condition = alltrue([
      length(module.workload_kms) == 1, length(module.data_bucket) == 1, length(module.iam) == 1,
      length(module.notifications) == 1, length(module.pipeline_triggers) == 1, length(module.lambda) == 1, length(module.alerts) == 1,
      length(module.jenkins) == 1, length(module.warehouse_secret) == 1, length(module.serving) == 1,
    ])
    error_message = "prod must get every workload module and the Jenkins role with its log group"
  }

  assert {
    condition     = length(module.registry_kms) == 0 && length(module.model_registry) == 0
    error_message = "prod must not get the registry modules"
  }

  assert {
    condition     = length(module.serving_secondary) == 1 && keys(output.secondary_endpoint_alarm_names) == ["mammo-severity"]
    error_message = "prod with secondary_region must get the alarms of its single-model endpoints (secondary_region.endpoints null) in the second region"
  }

  assert {
    condition     = output.jenkins_log_group_name == var.jenkins.log_group_name
    error_message = "the jenkins-log group must be named as in the tfvars"
  }

  assert {
    condition     = var.workload.inference_schedule.enabled
    error_message = "the inference schedule runs in prod"
  }
}

run "jenkins_role_deploys_prod_with_least_privilege" {
  command = plan

  module {
    source = "./modules/jenkins"
  }

  variables {
    role_name                     = var.jenkins.role_name
    jenkins_principal_arn         = var.jenkins.principal_arn
    jenkins_external_id           = null
    permissions_boundary_arn      = "arn:aws:iam::${var.accounts.prod}:policy/${var.project_name}-prod-workload-boundary"
    account_id                    = var.accounts.prod
    region                        = var.aws_region
    environment                   = var.environment
    state_key                     = "mlops-infra/${var.environment}.tfstate"
    terraform_state_bucket        = var.terraform_state_bucket
    log_group_name                = var.jenkins.log_group_name
    log_retention_days            = var.jenkins.log_retention_days
    kms_key_arn                   = "arn:aws:kms:${var.aws_region}:${var.accounts.prod}:key/11111111-2222-3333-4444-555555555555"
    data_bucket_name              = var.workload.data_bucket_name
    workload_kms_alias            = var.workload.kms_alias
    sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
    lambda_role_name              = var.workload.lambda_role_name
    events_role_name              = var.workload.events_role_name
    alert_topic_name              = var.workload.alert_topic_name
    rule_name_prefix              = var.project_name
    latest_model_function_name    = var.workload.latest_model_function_name
    alert_function_name           = var.workload.alert_function_name
    alert_lambda_role_name        = var.workload.alert_lambda_role_name
    managed_log_group_names       = ["/aws/lambda/${var.workload.latest_model_function_name}", "/aws/lambda/${var.workload.alert_function_name}", "/aws/lambda/${var.workload.serving.refresh_function_name}", var.jenkins.log_group_name]
    pipeline_arns = [
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:pipeline/${lower(var.workload.train_pipeline_name)}",
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:pipeline/${lower(var.workload.inference_pipeline_name)}",
    ]
    warehouse_secret_name = var.workload.pipeline.training_data.warehouse.secret_name
    serving = {
      endpoint_names             = [for endpoint in var.workload.serving.endpoints : endpoint.name]
      multi_model_endpoint_names = [for endpoint in var.workload.serving.endpoints : endpoint.name if endpoint.mode == "multi-model"]
      alarm_names                = flatten([for endpoint in var.workload.serving.endpoints : ["${endpoint.name}-invocation-5xx-errors", "${endpoint.name}-model-latency"]])
      execution_role_name        = var.workload.serving.execution_role_name
      refresh_role_name          = var.workload.serving.refresh_role_name
      refresh_function_name      = var.workload.serving.refresh_function_name
      models_prefix              = var.workload.serving.models_prefix
      registry_account_id        = var.accounts.registry
      artifacts_bucket_name      = var.model_registry.artifacts_bucket_name
      registry_kms_alias         = var.model_registry.kms_alias
      model_package_group_name   = var.model_registry.model_package_group_name
    }
    # secondary_region.endpoints is left out of the prod tfvars: every single-model endpoint is served there.
    secondary_serving = {
      region                        = var.secondary_region.region
      endpoint_names                = [for endpoint in var.workload.serving.endpoints : endpoint.name if endpoint.mode == "single-model"]
      replica_artifacts_bucket_name = var.secondary_region.replica_artifacts_bucket_name
      kms_key_arn                   = "arn:aws:kms:${var.secondary_region.region}:${var.accounts.prod}:key/66666666-7777-8888-9999-000000000000"
      alarm_names                   = flatten([for endpoint in var.workload.serving.endpoints : ["${endpoint.name}-invocation-5xx-errors", "${endpoint.name}-model-latency"] if endpoint.mode == "single-model"])
    }
  }

  assert {
    condition = aws_iam_role.jenkins.name == var.jenkins.role_name && jsondecode(aws_iam_role.jenkins.assume_role_policy).Statement == [{
      Sid = "JenkinsAssumesTheRole", Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.jenkins.principal_arn }
    }]
    error_message = "the Jenkins role must be named as in the tfvars and trusted by jenkins.principal_arn only (not an account root)"
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : [
        for action in flatten([s.Action]) : action != "*" && !endswith(action, ":*")
      ]
    ]))
    error_message = "the Jenkins policy may not name every action, nor every action of a service"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Resource != "*" ? true : contains([toset(["kms:ListAliases"]), toset(["logs:DescribeLogGroups"])], toset(flatten([s.Action])))
      ]) && alltrue([
      for s in jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement : s.Resource != "*" ? true : toset(flatten([s.Action])) == toset(["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"])
    ])
    error_message = "Resource \"*\" is allowed only for kms:ListAliases, logs:DescribeLogGroups and the scalable targets' Describe calls (and ListModelPackages, below): no tagging or creating keys on \"*\""
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : [
        for action in flatten([s.Action]) : !startswith(action, "kms:") || action == "kms:ListAliases" ? true : alltrue([
          for resource in flatten([s.Resource]) : contains([var.kms_key_arn, "arn:aws:kms:${var.aws_region}:${var.accounts.prod}:${var.workload.kms_alias}"], resource)
        ])
      ]
    ]))
    error_message = "Jenkins may manage only the workload key of this state (by ARN) and its alias"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : !contains(flatten([s.Action]), "kms:CreateKey")
    ])
    error_message = "creating keys takes a person"
  }

  assert {
    condition = alltrue([
      for s in concat(jsondecode(aws_iam_role_policy.jenkins.policy).Statement, jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement) : s.Effect == "Deny" || !contains(flatten([s.Action]), "kms:PutKeyPolicy")
    ])
    error_message = "changing a key policy takes a person: with it the role could hand the key, and the data under it, to anyone"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement :
      s.Effect == "Deny" || length(setintersection(toset(flatten([s.Action])), toset(["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"]))) == 0 ? true : (
        s.Condition == { StringEquals = { "iam:PermissionsBoundary" = var.permissions_boundary_arn } }
      )
    ])
    error_message = "Jenkins may create a role or change its permissions or trust only when the role carries the workload permissions boundary"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Effect == "Deny" && !can(s.Condition) &&
      length(setsubtract(toset([
        "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
      ]), toset(flatten([s.Action])))) == 0 &&
      contains(flatten([s.Resource]), var.permissions_boundary_arn) &&
      length(setsubtract(toset([for name in [var.workload.sagemaker_execution_role_name, var.workload.lambda_role_name, var.workload.events_role_name, var.workload.alert_lambda_role_name] : "arn:aws:iam::${var.accounts.prod}:role/${name}"]), toset(flatten([s.Resource])))) == 0
    ])
    error_message = "Jenkins must be denied removing or replacing the boundary of a workload role and changing the boundary policy"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement :
      s.Effect == "Deny" || length(setintersection(toset(flatten([s.Action])), toset(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicy"]))) == 0
    ])
    error_message = "no statement may allow Jenkins to change a boundary or create policies"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement :
      s.Effect == "Deny" || !contains(flatten([s.Resource]), "arn:aws:iam::${var.accounts.prod}:role/${var.jenkins.role_name}") ? true : length(setintersection(
        toset(flatten([s.Action])), toset(["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:PassRole"])
      )) == 0
    ])
    error_message = "the Jenkins role must not be able to widen its own permissions"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Action != "iam:PassRole" || s.Effect == "Deny" ? true : can(s.Condition.StringEquals["iam:PassedToService"])
    ])
    error_message = "every PassRole must name the service the role is passed to"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : toset(flatten([s.Resource])) == toset([
        "arn:aws:s3:::${var.terraform_state_bucket}/mlops-infra/${var.environment}.tfstate",
        "arn:aws:s3:::${var.terraform_state_bucket}/mlops-infra/${var.environment}.tfstate.tflock",
      ])
    ])
    error_message = "Jenkins must reach exactly the prod state object and its lock file"
  }

  assert {
    # IAM does not count whitespace: the size of the minified document.
    condition     = length(jsonencode(jsondecode(aws_iam_role_policy.jenkins.policy))) < 10240
    error_message = "IAM limits a role's inline policies to 10,240 characters"
  }

  assert {
    condition     = aws_cloudwatch_log_group.jenkins.retention_in_days == var.jenkins.log_retention_days && aws_cloudwatch_log_group.jenkins.kms_key_id == var.kms_key_arn
    error_message = "jenkins-log must be encrypted with the workload key and keep logs as long as the tfvars say"
  }

  # ------------------------------------------------ endpoints (workload.serving) and the warehouse secret

  assert {
    condition = alltrue(flatten([
      for s in concat(jsondecode(aws_iam_role_policy.jenkins.policy).Statement, jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement, jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement) : [
        for action in flatten([s.Action]) : s.Effect == "Deny" || !contains([
          "sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage", "sagemaker:DeleteModelPackage", "sagemaker:PutModelPackageGroupPolicy",
          "sts:AssumeRole", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "iam:AttachRolePolicy", "iam:CreatePolicy",
        ], action)
      ]
    ]))
    error_message = "no path to approval or admin: Jenkins may not approve, register or delete model versions, assume roles, read or put the warehouse secret's value, or attach or create policies"
  }

  assert {
    condition = alltrue(flatten([
      for s in concat(jsondecode(aws_iam_role_policy.jenkins.policy).Statement, jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement, jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement) : [
        for action in flatten([s.Action]) : s.Effect == "Deny" || !startswith(action, "iam:") ? true : alltrue([
          for resource in flatten([s.Resource]) : contains(concat(
            [for name in [var.workload.sagemaker_execution_role_name, var.workload.lambda_role_name, var.workload.events_role_name, var.workload.alert_lambda_role_name, var.workload.serving.execution_role_name, var.workload.serving.refresh_role_name, var.jenkins.role_name] : "arn:aws:iam::${var.accounts.prod}:role/${name}"],
            [var.permissions_boundary_arn, "arn:aws:iam::${var.accounts.prod}:policy/${var.jenkins.role_name}-serve-endpoints", "arn:aws:iam::${var.accounts.prod}:policy/${var.jenkins.role_name}-apply-endpoints",
            "arn:aws:iam::${var.accounts.prod}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"],
          ), resource)
        ])
      ]
    ]))
    error_message = "Jenkins' IAM actions may name only the workload and endpoint roles, its own role, the boundary, its endpoint-stage policy and the scaling service-linked role"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s if s.Action == "iam:PassRole"] == [{
      Sid       = "PassTheEndpointRoleToSageMaker", Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::${var.accounts.prod}:role/${var.workload.serving.execution_role_name}"
      Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
    }]
    error_message = "the endpoint stages may pass the endpoint execution role, to SageMaker only, and no other role"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Sid != "PassFunctionRoleToLambda" ? true : toset(flatten([s.Resource])) == toset([
        for name in [var.workload.lambda_role_name, var.workload.alert_lambda_role_name, var.workload.serving.refresh_role_name] : "arn:aws:iam::${var.accounts.prod}:role/${name}"
      ])
    ])
    error_message = "the refresh function's role is passed to Lambda with the other function roles"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Sid == "CreateAndEditWorkloadRolesUnderTheBoundary" && length(setsubtract(toset([
        for name in [var.workload.serving.execution_role_name, var.workload.serving.refresh_role_name] : "arn:aws:iam::${var.accounts.prod}:role/${name}"
      ]), toset(flatten([s.Resource])))) == 0
      ]) && anytrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Effect == "Deny" && contains(flatten([s.Resource]), "arn:aws:iam::${var.accounts.prod}:role/${var.workload.serving.execution_role_name}") && length(setsubtract(toset([for name in ["serve-endpoints", "apply-endpoints"] : "arn:aws:iam::${var.accounts.prod}:policy/${var.jenkins.role_name}-${name}"]), toset(flatten([s.Resource])))) == 0
    ])
    error_message = "the endpoint and refresh roles are created only under the boundary, which Jenkins may not lift from them; nor may it change its own endpoint policies"
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Sid => toset(flatten([s.Resource])) if contains(["DeployTheEndpoints", "SmokeTestTheEndpoints"], s.Sid)
      } == {
      DeployTheEndpoints = toset(flatten([for endpoint in var.workload.serving.endpoints : [
        "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:model/${endpoint.name}-*",
        "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:endpoint-config/${endpoint.name}-*",
        "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:endpoint/${endpoint.name}",
      ]]))
      SmokeTestTheEndpoints = toset([for endpoint in var.workload.serving.endpoints : "arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:endpoint/${endpoint.name}"])
    }
    error_message = "the endpoint stages may create, switch and invoke only the configured endpoints and the models and configs named after them"
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Sid => toset(flatten([s.Resource])) if contains(["DeployTheEndpointsInTheSecondaryRegion", "SmokeTestTheEndpointsInTheSecondaryRegion"], s.Sid)
      } == {
      DeployTheEndpointsInTheSecondaryRegion = toset(flatten([for endpoint in var.workload.serving.endpoints : [
        "arn:aws:sagemaker:${var.secondary_region.region}:${var.accounts.prod}:model/${endpoint.name}-*",
        "arn:aws:sagemaker:${var.secondary_region.region}:${var.accounts.prod}:endpoint-config/${endpoint.name}-*",
        "arn:aws:sagemaker:${var.secondary_region.region}:${var.accounts.prod}:endpoint/${endpoint.name}",
      ] if endpoint.mode == "single-model"]))
      SmokeTestTheEndpointsInTheSecondaryRegion = toset([for endpoint in var.workload.serving.endpoints : "arn:aws:sagemaker:${var.secondary_region.region}:${var.accounts.prod}:endpoint/${endpoint.name}" if endpoint.mode == "single-model"])
    }
    error_message = "in the second region the endpoint stages may create, switch and invoke only the single-model endpoints served there, and the models and configs named after them"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : { Action = s.Action, Resource = toset(flatten([s.Resource])) } if contains(["CheckTheArtifactReplicaIsCurrent", "FindMissingArtifactReplicas"], s.Sid)] == [
      { Action = "s3:GetObject", Resource = toset(["arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/*", "arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}/*"]) },
      { Action = "s3:ListBucket", Resource = toset(["arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}"]) },
    ]
    error_message = "the replica check reads the primary artifact's and the replica's metadata (GetObject) and lists the replica bucket only"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : alltrue([
        for action in flatten([s.Action]) : !contains(["sagemaker:updatemodelpackage", "sagemaker:updatemodelpackagegroup", "sagemaker:createmodelpackage", "sagemaker:*", "*"], lower(action))
      ]) && (s.Action != "kms:Decrypt" ? true : s.Condition.StringEquals["kms:ViaService"] == "s3.${var.aws_region}.amazonaws.com")
    ]) && length(jsonencode(jsondecode(aws_iam_policy.serve_endpoints[0].policy))) <= 6144
    error_message = "the endpoint stages' policy grants no approval (UpdateModelPackage), decrypts nothing in the second region, and fits IAM's 6,144-character managed policy limit"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Resource != "*" ? true : s.Action == "sagemaker:ListModelPackages"
      ]) && anytrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Sid == "ReadTheRegistryGroup" && toset(flatten([s.Resource])) == toset([
        "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}",
        "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*",
      ]) && toset(flatten([s.Action])) == toset(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"])
    ])
    error_message = "the endpoint stages read the central group's versions (Describe, and List, which has no resource type) and nothing else of the registry"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Sid == "WriteServedModels" && s.Resource == "arn:aws:s3:::${var.workload.data_bucket_name}/${var.workload.serving.models_prefix}/*"
      ]) && anytrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Sid == "ReadCentralArtifacts" && s.Resource == "arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/*" && s.Action == "s3:GetObject"
      ]) && anytrue([
      for s in jsondecode(aws_iam_policy.serve_endpoints[0].policy).Statement : s.Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == var.model_registry.kms_alias && s.Condition.StringEquals["kms:ViaService"] == "s3.${var.aws_region}.amazonaws.com" if s.Action == "kms:Decrypt"
    ])
    error_message = "multi-model deploys copy from the central bucket (registry key by alias, through S3 only) into the models prefix only"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement : s.Sid == "ManageEndpointAlarms" && toset(flatten([s.Resource])) == toset(flatten([
        for endpoint in var.workload.serving.endpoints : [
          "arn:aws:cloudwatch:${var.aws_region}:${var.accounts.prod}:alarm:${endpoint.name}-invocation-5xx-errors",
          "arn:aws:cloudwatch:${var.aws_region}:${var.accounts.prod}:alarm:${endpoint.name}-model-latency",
        ]
      ]))
    ])
    error_message = "Jenkins manages the endpoints' rollback alarms by name"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement : s.Condition.StringEquals == {
        "application-autoscaling:service-namespace" = "sagemaker", "application-autoscaling:scalable-dimension" = "sagemaker:variant:DesiredInstanceCount"
      } if s.Sid == "ScaleEndpointVariants"
      ]) && anytrue([
      for s in jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement : s.Condition.StringEquals["iam:AWSServiceName"] == "sagemaker.application-autoscaling.amazonaws.com" if s.Sid == "CreateTheScalingServiceLinkedRole"
    ])
    error_message = "Jenkins may register and scale SageMaker variants only, and create only Application Auto Scaling's SageMaker service-linked role"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Sid == "ManageFunctions" && contains(flatten([s.Resource]), "arn:aws:lambda:${var.aws_region}:${var.accounts.prod}:function:${var.workload.serving.refresh_function_name}")
      ]) && anytrue([
      for s in jsondecode(aws_iam_policy.apply_endpoints[0].policy).Statement : s.Sid == "LetTheRegistryPutEvents" && s.Resource == "arn:aws:events:${var.aws_region}:${var.accounts.prod}:event-bus/default"
    ])
    error_message = "Jenkins manages the refresh function and the default bus's permission for the registry (its rule is under the project's rule prefix)"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : s.Resource if s.Sid == "ManageWarehouseSecret"] == [
      "arn:aws:secretsmanager:${var.aws_region}:${var.accounts.prod}:secret:${var.workload.pipeline.training_data.warehouse.secret_name}-??????"
    ]
    error_message = "Jenkins manages the warehouse secret, by name, and never its value"
  }

  assert {
    # Managed policies: 6,144 characters, whitespace not counted.
    condition = alltrue([for policy in [aws_iam_policy.apply_endpoints[0], aws_iam_policy.serve_endpoints[0]] : length(jsonencode(jsondecode(policy.policy))) < 6144]) && toset(keys(aws_iam_role_policy_attachment.endpoints)) == toset(["apply-endpoints", "serve-endpoints"]) && alltrue([
      for name, attachment in aws_iam_role_policy_attachment.endpoints : attachment.role == var.jenkins.role_name
    ])
    error_message = "the endpoint policies (apply-endpoints, serve-endpoints) must fit IAM's managed policy size and be attached to the Jenkins role"
  }
}

run "jenkins_role_requires_the_external_id_when_one_is_set" {
  command = plan

  module {
    source = "./modules/jenkins"
  }

  variables {
    role_name                     = var.jenkins.role_name
    jenkins_principal_arn         = var.jenkins.principal_arn
    jenkins_external_id           = "mlops-jenkins-prod"
    permissions_boundary_arn      = "arn:aws:iam::${var.accounts.prod}:policy/${var.project_name}-prod-workload-boundary"
    account_id                    = var.accounts.prod
    region                        = var.aws_region
    environment                   = var.environment
    state_key                     = "mlops-infra/${var.environment}.tfstate"
    terraform_state_bucket        = var.terraform_state_bucket
    log_group_name                = var.jenkins.log_group_name
    log_retention_days            = var.jenkins.log_retention_days
    kms_key_arn                   = "arn:aws:kms:${var.aws_region}:${var.accounts.prod}:key/11111111-2222-3333-4444-555555555555"
    data_bucket_name              = var.workload.data_bucket_name
    workload_kms_alias            = var.workload.kms_alias
    sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
    lambda_role_name              = var.workload.lambda_role_name
    events_role_name              = var.workload.events_role_name
    alert_topic_name              = var.workload.alert_topic_name
    rule_name_prefix              = var.project_name
    latest_model_function_name    = var.workload.latest_model_function_name
    alert_function_name           = var.workload.alert_function_name
    alert_lambda_role_name        = var.workload.alert_lambda_role_name
    managed_log_group_names       = [var.jenkins.log_group_name]
    pipeline_arns                 = ["arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:pipeline/${lower(var.workload.train_pipeline_name)}"]
  }

  assert {
    condition = jsondecode(aws_iam_role.jenkins.assume_role_policy).Statement == [{
      Sid       = "JenkinsAssumesTheRole", Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.jenkins.principal_arn }
      Condition = { StringEquals = { "sts:ExternalId" = "mlops-jenkins-prod" } }
    }]
    error_message = "with jenkins_external_id set, the trust must require it (sts:ExternalId)"
  }

  assert {
    condition = length(aws_iam_policy.apply_endpoints) == 0 && length(aws_iam_policy.serve_endpoints) == 0 && length(aws_iam_role_policy_attachment.endpoints) == 0 && alltrue([
      for s in jsondecode(aws_iam_role_policy.jenkins.policy).Statement : !contains(["ManageEndpointAlarms", "ScaleEndpointVariants", "LetTheRegistryPutEvents", "ManageWarehouseSecret", "CreateTheScalingServiceLinkedRole"], s.Sid)
    ])
    error_message = "without serving and warehouse secret, Jenkins gets no endpoint, scaling, bus or secret permissions"
  }
}

run "jenkins_trust_refuses_an_account_root" {
  command = plan

  module {
    source = "./modules/jenkins"
  }

  variables {
    role_name                     = var.jenkins.role_name
    jenkins_principal_arn         = "arn:aws:iam::${var.accounts.tooling}:root"
    jenkins_external_id           = null
    permissions_boundary_arn      = "arn:aws:iam::${var.accounts.prod}:policy/${var.project_name}-prod-workload-boundary"
    account_id                    = var.accounts.prod
    region                        = var.aws_region
    environment                   = var.environment
    state_key                     = "mlops-infra/${var.environment}.tfstate"
    terraform_state_bucket        = var.terraform_state_bucket
    log_group_name                = var.jenkins.log_group_name
    log_retention_days            = var.jenkins.log_retention_days
    kms_key_arn                   = "arn:aws:kms:${var.aws_region}:${var.accounts.prod}:key/11111111-2222-3333-4444-555555555555"
    data_bucket_name              = var.workload.data_bucket_name
    workload_kms_alias            = var.workload.kms_alias
    sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
    lambda_role_name              = var.workload.lambda_role_name
    events_role_name              = var.workload.events_role_name
    alert_topic_name              = var.workload.alert_topic_name
    rule_name_prefix              = var.project_name
    latest_model_function_name    = var.workload.latest_model_function_name
    alert_function_name           = var.workload.alert_function_name
    alert_lambda_role_name        = var.workload.alert_lambda_role_name
    managed_log_group_names       = [var.jenkins.log_group_name]
    pipeline_arns                 = ["arn:aws:sagemaker:${var.aws_region}:${var.accounts.prod}:pipeline/${lower(var.workload.train_pipeline_name)}"]
  }

  expect_failures = [var.jenkins_principal_arn]
}

run "secondary_region_endpoint_role_reads_the_replicas_and_the_alert_topic_takes_that_regions_alarms" {
  command = plan
  providers = {
    aws = aws.secondary_offline
  }

  module {
    source = "./modules/serving-secondary"
  }

  variables {
    region                        = var.secondary_region.region
    account_id                    = var.accounts.prod
    registry_account_id           = var.accounts.registry
    execution_role_name           = var.workload.serving.execution_role_name
    replica_artifacts_bucket_name = var.secondary_region.replica_artifacts_bucket_name
    replica_kms_alias             = var.secondary_region.replica_kms_alias
    endpoints                     = [for endpoint in var.workload.serving.endpoints : endpoint if endpoint.mode == "single-model"]
    alert_topic_name              = var.workload.alert_topic_name
    alert_email                   = var.workload.alert_email
    kms_alias                     = var.workload.kms_alias
    rule_name_prefix              = var.project_name
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Sid => {
        actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      }
      } == {
      ReadReplicaArtifacts = {
        actions   = toset(["s3:GetObject"])
        resources = toset(["arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}/*"]), condition = "null"
      }
      DecryptReplicaArtifactsWithTheReplicaKeyByAlias = {
        actions   = toset(["kms:Decrypt"])
        resources = toset(["arn:aws:kms:${var.secondary_region.region}:${var.accounts.registry}:key/*"])
        condition = jsonencode({
          "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.secondary_region.replica_kms_alias }
          StringEquals               = { "kms:ViaService" = "s3.${var.secondary_region.region}.amazonaws.com" }
        })
      }
      PullAwsImages = {
        actions   = toset(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"])
        resources = toset(["arn:aws:ecr:${var.secondary_region.region}:*:repository/*"]), condition = "null"
      }
      WriteEndpointLogs = {
        actions = toset(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"])
        resources = toset([
          "arn:aws:logs:${var.secondary_region.region}:${var.accounts.prod}:log-group:/aws/sagemaker/Endpoints/*",
          "arn:aws:logs:${var.secondary_region.region}:${var.accounts.prod}:log-group:/aws/sagemaker/Endpoints/*:log-stream:*",
        ])
        condition = "null"
      }
    }
    error_message = "the endpoint role's policy in the second region must read only the replicas, decrypt only with the replica key by alias through S3 there, and pull and log in that region only"
  }

  assert {
    condition = (
      aws_iam_role_policy.execution.role == var.workload.serving.execution_role_name &&
      module.alarms.errors_alarms["mammo-severity"].alarm_name == "mammo-severity-invocation-5xx-errors" &&
      module.alarms.latency_alarms["mammo-severity"].threshold == var.workload.serving.endpoints[0].alarms.model_latency_ms * 1000 &&
      module.alarms.errors_alarms["mammo-severity"].dimensions == tomap({ EndpointName = "mammo-severity", VariantName = "AllTraffic" })
    )
    error_message = "the second region's alarms must carry the names, thresholds and dimensions deploy-endpoint --region secondary names"
  }

  # The region's alert topic, its key and their policies.
  assert {
    condition = (
      module.kms.alias_name == var.workload.kms_alias &&
      module.notifications.topic_name == var.workload.alert_topic_name &&
      module.notifications.subscription_endpoint == var.workload.alert_email
    )
    error_message = "the second region's topic must carry the primary's name, be subscribed by the same address and its key the workload key's alias"
  }

  assert {
    condition = {
      for s in jsondecode(module.kms.policy_json).Statement : s.Sid => {
        principal = jsonencode(s.Principal), actions = toset(flatten([s.Action])), condition = jsonencode(try(s.Condition, null))
      } if s.Sid != "EnableIamPoliciesOfOwningAccount"
      } == {
      AllowEventBridgeToPublishToEncryptedTopics = {
        principal = jsonencode({ Service = "events.amazonaws.com" })
        actions   = toset(["kms:GenerateDataKey*", "kms:Decrypt"]), condition = "null"
      }
      AllowCloudWatchAlarmsToPublishToEncryptedTopics = {
        principal = jsonencode({ Service = "cloudwatch.amazonaws.com" })
        actions   = toset(["kms:GenerateDataKey*", "kms:Decrypt"])
        condition = jsonencode({
          ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:${var.secondary_region.region}:${var.accounts.prod}:alarm:*" }
          StringEquals = { "aws:SourceAccount" = var.accounts.prod }
        })
      }
    }
    error_message = "the second region's key must let EventBridge and only the account's alarms of that region encrypt for the topic"
  }

  assert {
    condition = {
      for s in jsondecode(module.notifications.policy_json).Statement : s.Sid => {
        principal = jsonencode(s.Principal), actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      } if s.Sid != "OwnerAccountManagesTheTopic"
      } == {
      EventBridgeRulesOfThisAccountPublish = {
        principal = jsonencode({ Service = "events.amazonaws.com" })
        actions   = toset(["sns:Publish"])
        resources = toset(["arn:aws:sns:${var.secondary_region.region}:${var.accounts.prod}:${var.workload.alert_topic_name}"])
        condition = jsonencode({ StringEquals = { "aws:SourceAccount" = var.accounts.prod } })
      }
      CloudWatchAlarmsOfThisAccountPublish = {
        principal = jsonencode({ Service = "cloudwatch.amazonaws.com" })
        actions   = toset(["sns:Publish"])
        resources = toset(["arn:aws:sns:${var.secondary_region.region}:${var.accounts.prod}:${var.workload.alert_topic_name}"])
        condition = jsonencode({
          ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:${var.secondary_region.region}:${var.accounts.prod}:alarm:*" }
          StringEquals = { "aws:SourceAccount" = var.accounts.prod }
        })
      }
    }
    error_message = "only the account's EventBridge rules and alarms of the second region may publish to its topic"
  }

  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.endpoint_failed.event_pattern) == {
        source        = ["aws.sagemaker"]
        "detail-type" = ["SageMaker Endpoint State Change"]
        detail        = { EndpointName = ["mammo-severity"], EndpointStatus = ["FAILED"] }
      }
    )
    error_message = "a failed endpoint of the second region must be alerted there"
  }
}

run "secondary_region_alarms_and_failed_endpoints_notify_the_regions_topic" {
  command = apply
  providers = {
    aws = aws.mock
  }

  # The mock's generated strings are no ARNs, which the topic's key and the alarms' actions must be.
  override_resource {
    target = module.kms.aws_kms_key.this
    values = { arn = "arn:aws:kms:us-west-2:333333333333:key/mock" }
  }

  override_resource {
    target = module.notifications.aws_sns_topic.alerts
    values = { arn = "arn:aws:sns:us-west-2:333333333333:mammo-pipeline-alerts" }
  }

  module {
    source = "./modules/serving-secondary"
  }

  variables {
    region                        = var.secondary_region.region
    account_id                    = var.accounts.prod
    registry_account_id           = var.accounts.registry
    execution_role_name           = var.workload.serving.execution_role_name
    replica_artifacts_bucket_name = var.secondary_region.replica_artifacts_bucket_name
    replica_kms_alias             = var.secondary_region.replica_kms_alias
    endpoints                     = [for endpoint in var.workload.serving.endpoints : endpoint if endpoint.mode == "single-model"]
    alert_topic_name              = var.workload.alert_topic_name
    alert_email                   = var.workload.alert_email
    kms_alias                     = var.workload.kms_alias
    rule_name_prefix              = var.project_name
  }

  assert {
    condition = alltrue([
      for alarm in concat(values(module.alarms.errors_alarms), values(module.alarms.latency_alarms)) :
      toset(alarm.alarm_actions) == toset(["arn:aws:sns:us-west-2:333333333333:mammo-pipeline-alerts"])
    ]) && aws_cloudwatch_event_target.endpoint_failed.arn == "arn:aws:sns:us-west-2:333333333333:mammo-pipeline-alerts"
    error_message = "every alarm of the second region, and the failed-endpoint rule, must notify the region's topic"
  }
}
