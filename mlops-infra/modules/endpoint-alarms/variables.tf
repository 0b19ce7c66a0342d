variable "endpoints" {
  description = "The endpoints to guard: name and alarm thresholds (5xx errors per minute, average model latency in ms)."
  type = list(object({
    name = string
    alarms = object({
      invocation_5xx_errors = number
      model_latency_ms      = number
    })
  }))

  validation {
    condition     = length(distinct([for endpoint in var.endpoints : endpoint.name])) == length(var.endpoints)
    error_message = "endpoints must name each endpoint once."
  }
}

variable "alarm_actions" {
  description = "ARNs the alarms notify when they fire (an SNS topic of the alarms' own region); empty for none."
  type        = list(string)
  default     = []
}

variable "region_named_in_descriptions" {
  description = "A region the alarm descriptions name (Endpoint x in us-west-2 answered ...), for endpoints outside the primary region; null names none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the alarms (the provider's default tags apply as well)."
  type        = map(string)
  default     = {}
}
