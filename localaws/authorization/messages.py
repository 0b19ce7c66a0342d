"""AWS's access denied messages for a denied Decision.

From "Troubleshoot access denied error messages" (IAM User Guide): the message reads
`User: <principal ARN> is not authorized to perform: <action> on resource: <resource ARN> because <context>`,
where the context is `with an explicit deny in a(n) <type>` for an explicit deny and
`because no <type> allows the <action> action` for an implicit one; the role trust policy is "the role trust
policy" in an explicit deny. A KMS key policy is named as a resource-based policy (AWS's KMS messages say
"because no resource-based policy allows the kms:Decrypt action"). Since the policy-ARN enhancement (AWS
Security Blog, "Enhanced access denied error messages with policy ARNs"), an explicit deny in an identity-based
policy, permissions boundary or session policy of the same account ends with `: <policy ARN>`; an inline policy
has no ARN, so nothing is added. Requests on no particular resource (`*`) leave out `on resource: ...`, and an
unauthenticated requester is `anonymous`.
"""

from __future__ import annotations

from localaws.authorization.evaluation import Decision, PolicyType, Reason, Request

_EXPLICIT = {
    PolicyType.IDENTITY: "with an explicit deny in an identity-based policy",
    PolicyType.RESOURCE: "with an explicit deny in a resource-based policy",
    PolicyType.KEY_POLICY: "with an explicit deny in a resource-based policy",
    PolicyType.BOUNDARY: "with an explicit deny in a permissions boundary",
    PolicyType.SESSION: "with an explicit deny in a session policy",
    PolicyType.TRUST_POLICY: "with an explicit deny in the role trust policy",
}
_IMPLICIT = {
    PolicyType.IDENTITY: "identity-based policy",
    PolicyType.RESOURCE: "resource-based policy",
    PolicyType.KEY_POLICY: "resource-based policy",
    PolicyType.BOUNDARY: "permissions boundary",
    PolicyType.SESSION: "session policy",
    PolicyType.TRUST_POLICY: "role trust policy",
}
# Only these policy types carry the denying policy's ARN (the ARN enhancement covers SCPs, RCPs, permissions
# boundaries, session policies and identity-based policies; resource-based policies are not in the list).
_ARN_TYPES = {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION}


def access_denied_message(request: Request, decision: Decision, *, include_policy_arn: bool = True) -> str:
    """The message AWS returns for a denied request; ValueError for an allowed one."""
    if decision.allowed or decision.policy_type is None:
        raise ValueError("an allowed request has no access denied message")
    text = f"User: {request.principal.display} is not authorized to perform: {request.action}"
    if request.resource and request.resource != "*":
        text += f" on resource: {request.resource}"
    if decision.reason is Reason.EXPLICIT_DENY:
        text += " " + _EXPLICIT[decision.policy_type]
        statement = decision.statement
        if include_policy_arn and statement and statement.policy_arn and decision.policy_type in _ARN_TYPES:
            text += f": {statement.policy_arn}"
        return text
    return f"{text} because no {_IMPLICIT[decision.policy_type]} allows the {request.action} action"
