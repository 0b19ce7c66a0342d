"""What many tests need: waiting on the stack's background work, a Lambda role's trust policy, model archives."""

from .aws import LAMBDA_TRUST
from .models import xgboost_model_archive
from .waiting import TERMINAL, wait_for, wait_for_end

__all__ = ["LAMBDA_TRUST", "TERMINAL", "wait_for", "wait_for_end", "xgboost_model_archive"]
