"""IAM authorization for the local AWS stack: AWS's policy evaluation logic as a pure, deterministic library.

`evaluate(Request(...))` answers allow or deny with the reason, and `access_denied_message` renders AWS's
message for a denial. Nothing here talks to moto or the server: the stack builds the Request (principal with its
policies, action, resource, resource-based policy, context keys) and enforces the Decision.
"""

from localaws.authorization.conditions import ConditionError, RequestContext
from localaws.authorization.evaluation import (
    Basis,
    Decision,
    PolicyType,
    Reason,
    Request,
    ResourceKind,
    StatementRef,
    evaluate,
)
from localaws.authorization.kms import Grant
from localaws.authorization.messages import access_denied_message
from localaws.authorization.policy import Effect, Policy, PolicyError, PolicyKind, Statement, parse_policy
from localaws.authorization.principals import Principal, PrincipalType

__all__ = [
    "Basis",
    "ConditionError",
    "Decision",
    "Effect",
    "Grant",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicyType",
    "Principal",
    "PrincipalType",
    "Reason",
    "Request",
    "RequestContext",
    "ResourceKind",
    "Statement",
    "StatementRef",
    "access_denied_message",
    "evaluate",
    "parse_policy",
]
